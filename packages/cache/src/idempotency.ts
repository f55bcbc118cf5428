// Idempotency store on top of a cache: begin() marks a request in flight (atomically across instances
// on Redis), complete() stores its response, a later duplicate gets the response back.
import { LayeredCache } from './cache.ts'
import { checks } from './options.ts'
import { addIfAbsent, getShared } from './shared.ts'
import type { Cache } from './types.ts'

export interface IdempotencyOptions {
  /** How long a completed response is kept (ms). Default 24 h. */
  ttl?: number
  /** How long an in-flight mark lives if complete()/abort() never comes (ms). Default 60_000. */
  inFlightTtl?: number
}

export type IdempotencyBegin<R> =
  | { status: 'started' }
  | { status: 'in-flight' }
  | { status: 'completed'; response: R }

export interface IdempotencyStore<R = unknown> {
  /**
   * 'started': you own the request; 'in-flight': a duplicate is running; 'completed': here is its response.
   * Fails closed: when L2 (Redis) times out, its breaker is open or it is down, rejects with
   * IdempotencyUnavailableError (HOTPATH_CACHE_IDEMPOTENCY_UNAVAILABLE), never 'started'.
   */
  begin(key: string): Promise<IdempotencyBegin<R>>
  /** Stores the response of a started request for `ttl`. */
  complete(key: string, response: R): Promise<void>
  /** Drops the in-flight mark (the request failed; a retry may run it again). */
  abort(key: string): Promise<void>
}

type Rec<R> = { s: 'in-flight'; at: number } | { s: 'done'; r: R }

function isRec(x: unknown): x is Rec<unknown> {
  return (
    typeof x === 'object' &&
    x !== null &&
    ((x as Rec<unknown>).s === 'in-flight' || (x as Rec<unknown>).s === 'done')
  )
}

export function createIdempotencyStore<R = unknown>(
  cache: Cache,
  options: IdempotencyOptions = {},
): IdempotencyStore<R> {
  if (!(cache instanceof LayeredCache)) checks.fail('cache', cache, 'a cache created by createCache()')
  const o = checks.object('options', options, ['ttl', 'inFlightTtl']) ?? {}
  const c = cache as LayeredCache
  const ttl = checks.positive('ttl', o.ttl, 24 * 3600_000)
  const inFlightTtl = checks.positive('inFlightTtl', o.inFlightTtl, 60_000)
  const keyOf = (key: string): string => {
    if (typeof key !== 'string' || key.length === 0) checks.fail('key', key, 'a non-empty string')
    return `idempotency:${key}`
  }
  return {
    async begin(key) {
      const k = keyOf(key)
      for (let attempt = 0; attempt < 3; attempt++) {
        const mark: Rec<R> = { s: 'in-flight', at: c.clock.epoch() }
        if (await addIfAbsent(c, k, mark, inFlightTtl)) return { status: 'started' }
        const rec = await getShared(c, k)
        if (isRec(rec))
          return rec.s === 'done' ? { status: 'completed', response: rec.r as R } : { status: 'in-flight' }
        if (rec !== undefined) await c.delete(k) // foreign value under our key: drop it and retry
      }
      return { status: 'in-flight' }
    },
    async complete(key, response) {
      const rec: Rec<R> = { s: 'done', r: response }
      await c.set(keyOf(key), rec, { ttl })
    },
    async abort(key) {
      await c.delete(keyOf(key))
    },
  }
}
