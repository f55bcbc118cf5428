// Counters for rate limits and quotas: increment(key) adds to a count that lives for a fixed window of
// `ttl` from the key's first increment. On Redis one EVAL (INCRBY, then PEXPIRE when the key has no TTL yet)
// makes the count exact across every process sharing it; with no L2 the count is this process's own.
// A store that cannot increment atomically (Keyv) or an L2 that does not answer gives a coded error: a
// count that silently stopped being shared would let every process take the whole limit.
import type { Clock } from '@hotpath/core'
import { checkKey } from './call-options.ts'
import { CounterUnavailableError } from './errors.ts'
import { isReplyError } from './l2/guard.ts'
import { checks } from './options.ts'
import type { RemoteTier } from './remote.ts'

export interface IncrementOptions {
  /** Added to the count (a safe integer; negative decrements). Default 1. */
  by?: number
  /** How long the count lives from its first increment (ms). Default: the cache's `ttl`. */
  ttl?: number
}

/** Expired local counters are swept at most this often (ms), or sooner once the map doubled. */
const SWEEP_EVERY = 1_000
const SWEEP_AT = 10_000

/** This process's counters (no L2): key -> count and its monotonic expiry. */
export class LocalCounters {
  readonly #counts = new Map<string, { n: number; exp: number }>()
  #sweepAt = SWEEP_AT
  #nextSweep = 0

  add(key: string, by: number, ttl: number, now: number): number {
    if (now >= this.#nextSweep || this.#counts.size >= this.#sweepAt) this.#sweep(now)
    const c = this.#counts.get(key)
    if (c !== undefined && c.exp > now) return (c.n += by)
    this.#counts.set(key, { n: by, exp: now + ttl })
    return by
  }

  /** Drops expired counters: O(n) at most once per SWEEP_EVERY or per doubling of the map. */
  #sweep(now: number): void {
    for (const [k, c] of this.#counts) if (c.exp <= now) this.#counts.delete(k)
    this.#sweepAt = Math.max(SWEEP_AT, this.#counts.size * 2)
    this.#nextSweep = now + SWEEP_EVERY
  }

  get size(): number {
    return this.#counts.size
  }
}

/** What increment() needs of the cache. */
export interface CounterHost {
  assertOpen(): void
  readonly remote: RemoteTier | undefined
  readonly counts: LocalCounters
  readonly clock: Clock
  /** The cache's default TTL (ms). */
  readonly defaultTtl: number
}

export async function increment(c: CounterHost, key: string, options?: IncrementOptions): Promise<number> {
  c.assertOpen()
  checkKey(key)
  let by = 1
  let ttl = c.defaultTtl
  if (options !== undefined) {
    checks.object('options', options, ['by', 'ttl'])
    if (options.by !== undefined && !Number.isSafeInteger(options.by))
      checks.fail('by', options.by, 'a safe integer')
    by = options.by ?? 1
    ttl = checks.positive('ttl', options.ttl, ttl)
  }
  const remote = c.remote
  if (remote === undefined) return c.counts.add(key, by, ttl, c.clock.now())
  if (remote.backend.incrementBy === undefined)
    throw new CounterUnavailableError(key, 'the L2 store cannot increment atomically (use Redis)')
  const full = remote.counterKey(key)
  try {
    return await remote.guard.call('set', () => remote.backend.incrementBy!(full, by, ttl))
  } catch (error) {
    // Not an integer under our reserved key: corrupt, dropped, so the next window starts clean.
    if (isReplyError(error)) remote.dropBadKey(full)
    throw new CounterUnavailableError(key, 'L2 did not answer: the shared count is unknown', error)
  }
}
