// getOrSet machinery: per-process single flight, grace (stale-while-revalidate), soft/hard timeouts,
// the distributed lock (SET NX PX) with waiters, and adaptive TTL.
import { isDeepStrictEqual } from 'node:util'
import type { Clock } from '@hotpath/core'
import { type CacheFactoryEvent, factoryChannel, factoryTracing, getChannel } from './channels.ts'
import type { Stamps } from './clock.ts'
import type { Envelope } from './codec.ts'
import type { Counters } from './counters.ts'
import {
  CacheClosedError,
  FactoryNullishThrowError,
  FactoryTimeoutError,
  LockUnavailableError,
} from './errors.ts'
import { Wrapped } from './l1.ts'
import { type ResolvedOptions, requirePositive } from './options.ts'
import type { RemoteTier } from './remote.ts'
import type { ResolvedCall } from './call-options.ts'
import type { FactoryContext } from './types.ts'

type Factory = (ctx: FactoryContext) => unknown

/** What the getOrSet machinery uses of its cache (the cache passes itself). */
export interface ProducerHost {
  readonly namespace: string
  readonly instanceId: string
  readonly o: ResolvedOptions
  readonly clock: Clock
  readonly stamps: Stamps
  readonly counters: Counters
  readonly remote: RemoteTier | undefined
  readonly closed: boolean
  readonly epoch: number
  /** The L1 entry of `key` as a Wrapped (also stale in grace); undefined when absent or plain. */
  l1Any(key: string): Wrapped | undefined
  /** Puts an L2 envelope into L1 with its remaining TTL. */
  backfill(key: string, env: Envelope, epoch: number): void
  /** Whether an envelope is fresh now. */
  fresh(env: Envelope): boolean
  /** Writes L1 and starts the L2 write (never rejects). */
  store(
    key: string,
    value: unknown,
    ttl: number,
    grace: number,
    tags: string[] | undefined,
    epoch: number,
    createdAt?: number,
  ): Promise<void>
}

class Context implements FactoryContext {
  readonly key: string
  readonly stale?: unknown
  ttl: number | undefined
  skipped = false
  constructor(key: string, stale: Wrapped | undefined) {
    this.key = key
    if (stale !== undefined) this.stale = stale.value
  }
  setTtl(ms: number): void {
    this.ttl = requirePositive('ttl', ms)
  }
  skip(): void {
    this.skipped = true
  }
}

const noop = (): void => {}

/** The factory's answer as a promise (tracePromise wants one; a factory may return a plain value). */
function runFactory(factory: Factory, ctx: Context): Promise<unknown> {
  const v = factory(ctx)
  return v instanceof Promise ? v : Promise.resolve(v)
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref())
}

export class Producer {
  factoryCalls = 0
  factoryErrors = 0
  factoryTimeouts = 0
  coalesced = 0
  adaptiveGrew = 0
  adaptiveShrank = 0
  locksAcquired = 0
  locksWaited = 0
  locksFallback = 0
  readonly #c: ProducerHost
  readonly #flights = new Map<string, Promise<unknown>>()
  readonly #refreshing = new Set<string>()
  /** Keys deleted while their factory ran: the result is returned but not stored. */
  readonly #cancelled = new Set<string>()
  #lockSeq = 0
  #closed = false
  /** Key -> clock.now() of the last factory failure while a stale value was there (grace backoff). */
  readonly #failedAt = new Map<string, number>()

  constructor(cache: ProducerHost) {
    this.#c = cache
  }

  #publishGet(key: string, result: 'hit' | 'miss' | 'stale', tier: 'l1' | 'l2' | 'none'): void {
    if (getChannel.hasSubscribers) getChannel.publish({ cache: this.#c.namespace, key, result, tier })
  }

  /** Slow path of getOrSet (the caller already checked for a fresh L1 hit). */
  getOrSet(key: string, factory: Factory, call: ResolvedCall): Promise<unknown> {
    const c = this.#c
    const prev = c.l1Any(key)
    if (prev !== undefined) {
      const t = c.clock.now()
      if (prev.stale > t) {
        if (prev.exp > t) {
          c.counters.l1Hits++
          this.#publishGet(key, 'hit', 'l1')
        } else {
          this.#publishGet(key, 'stale', 'l1')
          if (this.#failedAt.size > 0 && this.#backingOff(key)) {
            c.counters.staleServed++
            return Promise.resolve(prev.value)
          }
          if (call.softTimeout !== undefined && !this.#refreshing.has(key)) {
            // Wait up to softTimeout for a fresh value, then fall back to the stale one.
            return this.#flight(key, () => this.#produce(key, factory, call, prev, prev))
          }
          c.counters.staleServed++
          this.#background(key, factory, call, prev)
        }
        return Promise.resolve(prev.value)
      }
    }
    return this.#flight(key, () => this.#load(key, factory, call, prev))
  }

  /** Joins the flight of `key` or starts one with `start`. */
  #flight(key: string, start: () => Promise<unknown>): Promise<unknown> {
    const flight = this.#flights.get(key)
    if (flight !== undefined) {
      this.coalesced++
      return flight
    }
    const p = start()
    this.#flights.set(key, p)
    const done = (): void => {
      if (this.#flights.get(key) === p) this.#flights.delete(key)
    }
    p.then(done, done)
    return p
  }

  async #load(
    key: string,
    factory: Factory,
    call: ResolvedCall,
    prev: Wrapped | undefined,
  ): Promise<unknown> {
    const c = this.#c
    if (c.remote !== undefined) {
      const epoch = c.epoch
      const env = await c.remote.read(key)
      if (env !== undefined) {
        c.backfill(key, env, epoch)
        if (c.fresh(env)) {
          c.counters.l2Hits++
          this.#publishGet(key, 'hit', 'l2')
          return env.value
        }
        const e = Wrapped.fromEnvelope(env, c.clock)
        this.#publishGet(key, 'stale', 'l2')
        if (this.#failedAt.size > 0 && this.#backingOff(key)) {
          c.counters.staleServed++
          return env.value
        }
        if (call.softTimeout !== undefined) return this.#produce(key, factory, call, e, e)
        c.counters.staleServed++
        this.#background(key, factory, call, e)
        return env.value
      }
    }
    c.counters.misses++
    this.#publishGet(key, 'miss', 'none')
    return this.#produce(key, factory, call, undefined, prev)
  }

  /** Whether the factory of `key` failed (with a stale value there) less than graceBackoff ago. */
  #backingOff(key: string): boolean {
    const at = this.#failedAt.get(key)
    if (at === undefined) return false
    if (this.#c.clock.now() - at < this.#c.o.graceBackoff) return true
    this.#failedAt.delete(key)
    return false
  }

  #noteFailure(key: string): void {
    const failed = this.#failedAt
    const now = this.#c.clock.now()
    failed.delete(key)
    failed.set(key, now)
    if (failed.size > 10_000) {
      // bounded: drop the oldest (insertion order = failure order)
      const limit = now - this.#c.o.graceBackoff
      for (const [k, at] of failed) {
        if (at >= limit && failed.size <= 10_000) break
        failed.delete(k)
      }
    }
  }

  /** Refreshes in the background unless a refresh of `key` is already running. */
  #background(key: string, factory: Factory, call: ResolvedCall, stale: Wrapped): void {
    if (this.#closed || this.#refreshing.has(key) || this.#flights.has(key)) return
    this.#produce(key, factory, call, stale, stale).catch(noop)
  }

  /** Runs the factory (under the lock when asked) with soft/hard timeouts and stale fallback. */
  #produce(
    key: string,
    factory: Factory,
    call: ResolvedCall,
    stale: Wrapped | undefined,
    prev: Wrapped | undefined,
  ): Promise<unknown> {
    const c = this.#c
    this.#refreshing.add(key)
    const work = this.#work(key, factory, call, stale, prev)
    const done = (): void => {
      this.#refreshing.delete(key)
      this.#cancelled.delete(key)
    }
    work.then(done, done)
    const { softTimeout, hardTimeout } = call
    if (softTimeout === undefined && hardTimeout === undefined) {
      if (stale === undefined) return work
      return work.catch(() => {
        c.counters.staleServed++
        return stale.value
      })
    }
    return new Promise((resolve, reject) => {
      let settled = false
      let soft: NodeJS.Timeout | undefined
      let hard: NodeJS.Timeout | undefined
      const finish = (): void => {
        settled = true
        if (soft !== undefined) clearTimeout(soft)
        if (hard !== undefined) clearTimeout(hard)
      }
      const serveStale = (): void => {
        c.counters.staleServed++
        resolve(stale!.value)
      }
      work.then(
        (v) => {
          if (settled) return
          finish()
          resolve(v)
        },
        (error) => {
          if (settled) return
          finish()
          if (stale !== undefined) serveStale()
          else reject(error)
        },
      )
      if (stale !== undefined && softTimeout !== undefined) {
        soft = setTimeout(() => {
          if (settled) return
          finish()
          this.factoryTimeouts++
          this.#publishFactory(key, softTimeout, undefined, 'soft')
          serveStale()
        }, softTimeout)
        soft.unref()
      }
      if (hardTimeout !== undefined) {
        hard = setTimeout(() => {
          if (settled) return
          finish()
          this.factoryTimeouts++
          this.#publishFactory(key, hardTimeout, undefined, 'hard')
          if (stale !== undefined) serveStale()
          else reject(new FactoryTimeoutError(key, hardTimeout))
        }, hardTimeout)
        hard.unref()
      }
    })
  }

  #publishFactory(key: string, durationMs: number, error: unknown, timedOut?: 'soft' | 'hard'): void {
    if (!factoryChannel.hasSubscribers) return
    const payload: CacheFactoryEvent = { cache: this.#c.namespace, key, durationMs }
    if (error !== undefined) payload.error = error
    if (timedOut !== undefined) payload.timedOut = timedOut
    factoryChannel.publish(payload)
  }

  async #work(
    key: string,
    factory: Factory,
    call: ResolvedCall,
    stale: Wrapped | undefined,
    prev: Wrapped | undefined,
  ): Promise<unknown> {
    const c = this.#c
    const epoch = c.epoch
    let token: string | undefined
    if (call.lock && c.remote?.atomic === true) {
      const r = await this.#lockOrWait(key)
      if (r.found !== undefined) {
        c.backfill(key, r.found, epoch)
        return r.found.value
      }
      token = r.token
    }
    const watchdog = token === undefined ? undefined : this.#watch(key, token)
    try {
      const ctx = new Context(key, stale)
      // The value is as old as the moment the factory started: a tag invalidation or clear() that
      // happens while it runs makes it a miss, and a delete() drops it (cancel()).
      const startedAt = c.stamps.next()
      this.factoryCalls++
      const clock = c.clock
      const started = clock.now()
      let value: unknown
      try {
        // traced: the factory runs inside the tracing channel's start, so its own work nests under it
        value = await (factoryTracing.hasSubscribers
          ? factoryTracing.tracePromise(
              runFactory,
              { cache: c.namespace, key, refresh: stale !== undefined },
              undefined,
              factory,
              ctx,
            )
          : factory(ctx))
      } catch (thrown) {
        if (watchdog !== undefined) clearInterval(watchdog)
        this.factoryErrors++
        if (stale !== undefined) this.#noteFailure(key)
        // `throw undefined` would reach callers as a bare undefined: give them a coded error instead.
        const error = thrown ?? new FactoryNullishThrowError(key, thrown as null | undefined)
        this.#publishFactory(key, clock.now() - started, error)
        throw error
      }
      if (watchdog !== undefined) clearInterval(watchdog)
      if (this.#failedAt.size > 0) this.#failedAt.delete(key)
      this.#publishFactory(key, clock.now() - started, undefined)
      let written: Promise<void> | undefined
      if (!ctx.skipped && value !== undefined && !c.closed && !this.#cancelled.has(key)) {
        const ttl = ctx.ttl ?? this.#adaptiveTtl(call.ttl, prev, value)
        // The caller gets the value as soon as L1 has it; the L2 write (bounded) finishes behind it.
        written = c.store(key, value, ttl, call.grace, call.tags, epoch, startedAt)
      }
      if (token !== undefined) {
        // Release the lock only once the value is in L2, so waiters find it there.
        const release = this.#release(key, token)
        token = undefined
        if (written === undefined) release()
        else written.then(release)
      }
      return value
    } finally {
      if (watchdog !== undefined) clearInterval(watchdog)
      if (token !== undefined) this.#release(key, token)()
    }
  }

  /**
   * Renews the lock every lockTtl / 3 while the factory runs (compare-and-expire: a lock that is no
   * longer ours is never extended, and renewal stops).
   */
  #watch(key: string, token: string): NodeJS.Timeout | undefined {
    const c = this.#c
    const remote = c.remote!
    const ttl = c.o.lockTtl
    if (remote.backend.renewIfEquals === undefined) return undefined
    const timer = setInterval(
      () => {
        remote.renewLock(key, token, ttl)?.then((ours) => {
          if (!ours) clearInterval(timer)
        }, noop)
      },
      Math.max(1, ttl / 3),
    )
    timer.unref()
    return timer
  }

  #release(key: string, token: string): () => void {
    return () => {
      this.#c.remote!.releaseLock(key, token)
    }
  }

  #adaptiveTtl(ttl: number, prev: Wrapped | undefined, value: unknown): number {
    const a = this.#c.o.adaptiveTtl
    if (a === undefined) return ttl
    if (prev === undefined) return Math.min(a.max, Math.max(a.min, ttl))
    const prevTtl = prev.ttl
    if (isDeepStrictEqual(prev.value, value)) {
      this.adaptiveGrew++
      return Math.min(a.max, Math.max(a.min, prevTtl * 2))
    }
    this.adaptiveShrank++
    return Math.max(a.min, Math.min(a.max, prevTtl / 2))
  }

  /**
   * Takes the distributed lock, or waits for the holder's value (as long as the holder holds the lock: it
   * renews it while its factory runs). When L2 fails, lockFallback decides: `{}` means run unlocked.
   */
  async #lockOrWait(key: string): Promise<{ token?: string; found?: Envelope }> {
    const c = this.#c
    const remote = c.remote!
    const token = `${c.instanceId}:${++this.#lockSeq}`
    const { lockTtl, lockFallback: policy, lockPollInterval } = c.o
    let waited = false
    /** Since when L2 keeps failing on the lock path (reset by any answer). */
    let failingSince: number | undefined
    /** Whether to try again after an L2 failure; else the fallback policy applies (throws for 'fail'). */
    const retry = async (error: unknown): Promise<boolean> => {
      const now = c.clock.now()
      failingSince ??= now
      if (policy === 'wait' && now - failingSince < lockTtl) {
        await sleep(lockPollInterval)
        if (c.closed) throw new CacheClosedError(c.namespace)
        return true
      }
      this.locksFallback++
      if (policy === 'fail') throw new LockUnavailableError(key, error)
      return false
    }
    for (;;) {
      let acquired: boolean
      try {
        acquired = await remote.tryLock(key, token, lockTtl)
        failingSince = undefined
      } catch (error) {
        if (await retry(error)) continue
        return {}
      }
      if (acquired) {
        this.locksAcquired++
        if (waited) {
          // The previous holder may have written the value just before its lock expired.
          const env = await remote.read(key)
          if (env !== undefined && c.fresh(env)) {
            await remote.releaseLock(key, token)
            return { found: env }
          }
        }
        return { token }
      }
      if (!waited) {
        waited = true
        this.locksWaited++
      }
      for (;;) {
        await sleep(lockPollInterval)
        if (c.closed) throw new CacheClosedError(c.namespace)
        let pair: unknown[]
        try {
          pair = await remote.valueAndLock(key)
          failingSince = undefined
        } catch (error) {
          if (await retry(error)) continue
          return {}
        }
        if (pair[0] != null) {
          const env = await remote.accept(key, pair[0])
          if (env !== undefined && c.fresh(env)) return { found: env }
        }
        // Our own SET NX landed although its answer came too late (a timeout): the lock is ours.
        if (pair[1] === token) {
          this.locksAcquired++
          return { token }
        }
        if (pair[1] == null) break
      }
    }
  }

  /** delete(key) while a factory for key runs: do not store its (older) result. */
  cancel(key: string): void {
    if (this.#refreshing.has(key)) this.#cancelled.add(key)
  }

  close(): void {
    this.#closed = true
  }
}
