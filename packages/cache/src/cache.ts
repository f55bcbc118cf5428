// The layered cache: L1 (W-TinyLFU or lru-cache) in front of an optional L2 (Keyv store / Redis), kept coherent
// across instances by the bus. Hot path: an L1 hit is one lru-cache lookup (lru-cache checks the TTL)
// and, only once some entry needed a wrapper (grace, tags, adaptive TTL), one instanceof check.
import { randomUUID } from 'node:crypto'
import type { Clock } from '@hotpath/core'
import type { Bus } from './bus.ts'
import { openBus } from './bus-link.ts'
import { deleteChannel, getChannel, setChannel } from './channels.ts'
import { Stamps } from './clock.ts'
import { type Envelope, encodeEnvelope } from './codec.ts'
import { checkKey, checkTags, type ResolvedCall, resolveCall } from './call-options.ts'
import {
  CacheClosedError,
  CacheNotReadyError,
  InvalidKeyError,
  InvalidValueError,
  ValueTooLargeError,
} from './errors.ts'
import { Producer } from './getorset.ts'
import { buildStats } from './stats.ts'
import { deleteMany, getMany, setMany } from './batch.ts'
import { wrapFunction } from './wrap.ts'
import { Counters } from './counters.ts'
import { type IncrementOptions, increment, LocalCounters } from './counter.ts'
import { Invalidations } from './invalidations.ts'
import type { RemoteTier } from './remote.ts'
import { deadline } from './deadline.ts'
import { openRemoteTier } from './remote-open.ts'
import { isReplyError } from './l2/guard.ts'
import { openL2 } from './l2/open.ts'
import { createL1, type Wrapped } from './l1.ts'
import { LocalTier, NONE } from './local.ts'
import {
  type CacheOptions,
  checks,
  type GetOrSetOptions,
  type ResolvedOptions,
  resolveOptions,
  type SetOptions,
} from './options.ts'
import type { Cache, CacheStats, FactoryContext, SetManyEntry, WrapOptions } from './types.ts'

const noop = (): void => {}

export class LayeredCache implements Cache {
  readonly namespace: string
  readonly o: ResolvedOptions
  /** L1 behind its facade (store, Wrapped entries, freshness rules); undefined with `l1: false`. */
  readonly local: LocalTier | undefined
  /** L2 behind its facade (store, guard, key layout, envelope checks, stamps, lock); undefined without l2. */
  readonly remote: RemoteTier | undefined
  readonly tiers: { readonly l1: boolean; readonly l2: boolean }
  readonly inv: Invalidations
  readonly bus: Bus | undefined
  readonly instanceId: string = randomUUID()
  /** Where every time read of this instance goes (the `clock` option). */
  readonly clock: Clock
  /** Invalidation / creation stamps (wall clock, strictly increasing in this instance). */
  readonly stamps: Stamps
  closed = false
  /** Bumped by clear(): work that started before a clear does not write its result into L1. */
  epoch = 0

  /** The counters behind stats(). */
  readonly counters: Counters = new Counters()
  /** @internal increment()'s counts when there is no L2. */
  readonly counts: LocalCounters = new LocalCounters()

  readonly #producer: Producer
  #closing: Promise<void> | undefined
  /** L2 writes (and the bus messages that follow them) not settled yet. */
  readonly #pending = new Set<Promise<void>>()

  constructor(options?: CacheOptions) {
    const o = resolveOptions(options)
    this.o = o
    this.namespace = o.namespace
    this.clock = o.clock
    this.stamps = new Stamps(o.clock)
    this.inv = new Invalidations(
      o.invalidationSyncInterval,
      o.clock,
      this.stamps,
      o.ttl + o.grace + (o.adaptiveTtl?.max ?? 0),
    )
    this.local = o.l1
      ? new LocalTier(createL1(o.l1, o.namespace, o.clock), this.inv, o.clock, o.adaptiveTtl !== undefined)
      : undefined
    const l2 = o.l2 === undefined ? undefined : openL2(o.l2, () => {})
    if (l2 === undefined) {
      this.remote = undefined
    } else {
      this.remote = openRemoteTier(l2, o, this.inv, this.counters)
    }
    this.tiers = Object.freeze({ l1: this.local !== undefined, l2: this.remote !== undefined })
    this.#producer = new Producer(this)
    this.bus = openBus(this, o, l2)
  }

  /**
   * Resolves once L2 and the bus are connected; rejects with CacheNotReadyError when they are not
   * within connectTimeout (the cache still works: L2 calls then fail fast and count as misses).
   */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(new CacheClosedError(this.namespace))
    const parts: Promise<unknown>[] = []
    const l2 = this.remote?.backend
    if (l2?.connected !== undefined) parts.push(l2.connected())
    if (this.bus !== undefined) parts.push(this.bus.started)
    if (parts.length === 0) return Promise.resolve()
    return deadline(Promise.all(parts), this.o.connectTimeout).then(
      () => undefined,
      (error) => {
        throw new CacheNotReadyError(this.namespace, this.o.connectTimeout, error)
      },
    )
  }

  // ---------------------------------------------------------------- L1 hot path

  /** @internal Fresh L1 value (tags checked) or NONE. */
  freshValue(key: string): unknown {
    const local = this.local
    return local === undefined ? NONE : local.fresh(key)
  }

  /** @internal Whether an L2 envelope is fresh now (its times are wall clock: compared with epoch()). */
  fresh(env: Envelope): boolean {
    return env.expiresAt > this.clock.epoch()
  }

  /** @internal A fresh L1 value, counted and published as an L1 hit; NONE (nothing counted) otherwise. */
  l1Hit(key: string): unknown {
    const v = this.freshValue(key)
    if (v !== NONE) {
      this.counters.l1Hits++
      if (getChannel.hasSubscribers)
        getChannel.publish({ cache: this.namespace, key, result: 'hit', tier: 'l1' })
    }
    return v
  }

  peek<T = unknown>(key: string): T | undefined {
    const v = this.freshValue(key)
    if (v !== NONE) return v as T
    if (typeof key !== 'string') throw new InvalidKeyError(key)
    return undefined
  }

  get<T = unknown>(key: string): Promise<T | undefined> {
    if (this.closed) return Promise.reject(new CacheClosedError(this.namespace))
    const hit = this.l1Hit(key)
    if (hit !== NONE) return Promise.resolve(hit as T)
    try {
      checkKey(key)
    } catch (error) {
      return Promise.reject(error)
    }
    if (this.remote === undefined) return Promise.resolve(this.miss(key))
    return this.#getL2(key) as Promise<T | undefined>
  }

  /** @internal Counts and publishes a miss. */
  miss(key: string): undefined {
    this.counters.misses++
    if (getChannel.hasSubscribers)
      getChannel.publish({ cache: this.namespace, key, result: 'miss', tier: 'none' })
    return undefined
  }

  /** get() from L2: one guarded GET, decoded synchronously; no async function layers on the way. */
  #getL2(key: string): Promise<unknown> {
    const remote = this.remote!
    const guard = remote.guard
    const connecting = remote.connecting
    if (connecting !== undefined) return connecting.then(() => this.#getL2(key))
    if (!guard.allow()) return Promise.resolve(this.miss(key))
    let p: Promise<unknown>
    try {
      p = remote.backend.get(remote.key(key))
    } catch (error) {
      guard.failed('get', error)
      return Promise.resolve(this.miss(key))
    }
    const epoch = this.epoch
    return new Promise((resolve) => {
      const w = guard.track('get', () => resolve(this.miss(key)))
      p.then(
        (raw) => {
          if (!guard.settle(w)) return
          guard.succeeded()
          resolve(this.onL2Value(key, raw, epoch))
        },
        (error) => {
          if (!guard.settle(w)) return
          guard.failed('get', error)
          if (isReplyError(error)) remote.dropBad(key)
          resolve(this.miss(key))
        },
      )
    })
  }

  /** @internal The value of a raw L2 reply (a promise only when invalidation stamps had to be read). */
  onL2Value(key: string, raw: unknown, epoch: number): unknown {
    if (raw === undefined || raw === null) return this.miss(key)
    const wall = this.clock.epoch() // read once: for the envelope's checks and its freshness
    const env = this.remote!.accept(key, raw, wall)
    if (env instanceof Promise) return env.then((e) => this.#onEnvelope(key, e, epoch, this.clock.epoch()))
    return this.#onEnvelope(key, env, epoch, wall)
  }

  #onEnvelope(key: string, env: Envelope | undefined, epoch: number, wall: number): unknown {
    if (env === undefined) return this.miss(key)
    if (this.local !== undefined) this.backfill(key, env, epoch)
    if (env.expiresAt > wall) {
      this.counters.l2Hits++
      if (getChannel.hasSubscribers)
        getChannel.publish({ cache: this.namespace, key, result: 'hit', tier: 'l2' })
      return env.value
    }
    return this.miss(key)
  }

  async has(key: string): Promise<boolean> {
    this.assertOpen()
    if (this.freshValue(key) !== NONE) return true
    checkKey(key)
    if (this.remote === undefined) return false
    const epoch = this.epoch
    const env = await this.remote.read(key)
    if (env === undefined) return false
    this.backfill(key, env, epoch)
    return this.fresh(env)
  }

  /** The L1 entry of `key` as a Wrapped, even when expired but still in grace; undefined when absent. */
  l1Any(key: string): Wrapped | undefined {
    return this.local?.any(key)
  }

  /** Puts an L2 envelope into L1 with its *remaining* TTL, unless a clear() or close() came since `epoch`. */
  backfill(key: string, env: Envelope, epoch: number): void {
    if (this.local === undefined || epoch !== this.epoch || this.closed) return
    this.local.backfill(key, env)
  }

  // ---------------------------------------------------------------- writes

  async set<T>(key: string, value: T, options?: SetOptions): Promise<void> {
    this.assertOpen()
    checkKey(key)
    let ttl = this.o.ttl
    let grace = this.o.grace
    let tags: string[] | undefined
    if (options !== undefined) {
      checks.object('options', options)
      ttl = checks.positive('ttl', options.ttl, ttl)
      grace = checks.nonNegative('grace', options.grace, grace)
      tags = checkTags('tags', options.tags)
    }
    await this.store(key, value, ttl, grace, tags, this.epoch)
  }

  /**
   * Writes L1 (synchronously) and starts the L2 write, returning its promise (bounded by l2Timeout;
   * never rejects: an L2 failure leaves the value in L1 only). Throws synchronously for bad values.
   */
  store(
    key: string,
    value: unknown,
    ttl: number,
    grace: number,
    tags: string[] | undefined,
    epoch: number,
    createdAt: number = this.stamps.next(),
  ): Promise<void> {
    if (value === undefined) throw new InvalidValueError(key, value)
    let encoded: string | undefined
    const remote = this.remote
    if (remote !== undefined) {
      const expiresAt = this.clock.epoch() + ttl
      const env = { value, createdAt, expiresAt, graceUntil: expiresAt + grace, tags }
      encoded = encodeEnvelope(key, env, this.o.compress)
    }
    if (epoch !== this.epoch || this.closed) return Promise.resolve()
    this.counters.sets++
    if (this.local !== undefined) {
      this.local.write(key, value, ttl, grace, tags, createdAt)
      if (setChannel.hasSubscribers)
        setChannel.publish({ cache: this.namespace, key, ttlMs: ttl, tier: 'l1' })
    }
    const bus = this.bus
    if (encoded === undefined) {
      bus?.publish('key', { keys: [key] })
      return Promise.resolve()
    }
    const l2 = remote!.backend
    const full = remote!.key(key)
    const max = this.o.maxValueBytes
    if (encoded.length * 3 > max && Buffer.byteLength(encoded) > max) {
      // Too large for L2: L1 only, reported, never a breaker failure; the old L2 value is dropped.
      remote!.guard.ignored('set', new ValueTooLargeError(key, Buffer.byteLength(encoded), max))
      return this.track(
        remote!.guard
          .call('delete', () => l2.delete(full))
          .then(
            () => bus?.publish('key', { keys: [key] }),
            () => bus?.publish('key', { keys: [key] }, true),
          ),
      )
    }
    const life = ttl + grace
    remote!.noteLifetime(life)
    const data = encoded
    // The bus message goes out once the L2 write landed (or failed): a receiver that refetches then
    // finds the new value, not the one being replaced.
    return this.track(
      remote!.guard
        .call('set', () => l2.set(full, data, life))
        .then(
          () => {
            bus?.publish('key', { keys: [key] })
            if (setChannel.hasSubscribers)
              setChannel.publish({ cache: this.namespace, key, ttlMs: ttl, tier: 'l2' })
          },
          () => {
            // counted by the guard; the value lives in L1 only
            bus?.publish('key', { keys: [key] }, true)
          },
        ),
    )
  }

  /** @internal Registers a pending L2 write (with its bus message): close() flushes them. */
  track(p: Promise<void>): Promise<void> {
    const pending = this.#pending
    pending.add(p)
    p.then(() => pending.delete(p))
    return p
  }

  /** @internal A factory run of `key` must not write its result (the key was deleted). */
  cancelFactory(key: string): void {
    this.#producer.cancel(key)
  }

  async delete(key: string): Promise<boolean> {
    this.assertOpen()
    checkKey(key)
    this.#producer.cancel(key)
    let existed = this.local?.delete(key) ?? false
    this.counters.deletes++
    if (deleteChannel.hasSubscribers) deleteChannel.publish({ cache: this.namespace, key })
    let failed = false
    const remote = this.remote
    if (remote !== undefined) {
      const full = remote.key(key)
      const p = remote.guard.call('delete', () => remote.backend.delete(full))
      this.track(p.then(noop, noop))
      try {
        existed = (await p) || existed
      } catch {
        failed = true // counted by the guard
      }
    }
    this.bus?.publish('key', { keys: [key] }, failed)
    return existed
  }

  getMany<T = unknown>(keys: readonly string[]): Promise<(T | undefined)[]> {
    return getMany(this, keys) as Promise<(T | undefined)[]>
  }

  setMany<T>(entries: ReadonlyArray<SetManyEntry<T>>): Promise<void> {
    return setMany(this, entries)
  }

  deleteMany(keys: readonly string[]): Promise<number> {
    return deleteMany(this, keys)
  }

  increment(key: string, options?: IncrementOptions): Promise<number> {
    return increment(this, key, options)
  }

  /** @internal The default TTL (increment()'s window). */
  get defaultTtl(): number {
    return this.o.ttl
  }

  async clear(): Promise<void> {
    this.assertOpen()
    this.epoch++
    this.local?.clear()
    const at = this.stamps.next()
    this.inv.invalidateAll(at)
    const ok = this.remote === undefined || (await this.#writeStamps([null], at))
    this.bus?.publish('clear', { at }, !ok)
  }

  async invalidateTags(tags: string[]): Promise<void> {
    this.assertOpen()
    const list = checkTags('tags', tags)
    if (list === undefined) return
    const at = this.stamps.next()
    for (const tag of list) this.inv.invalidateTag(tag, at)
    const ok = this.remote === undefined || (await this.#writeStamps(list, at))
    this.bus?.publish('tags', { tags: list, at }, !ok)
  }

  /** Writes invalidation stamps (null = the clear generation); true when all landed. close() flushes them. */
  #writeStamps(names: (string | null)[], at: number): Promise<boolean> {
    const written = this.remote!.writeStamps(names, at)
    this.track(written.then(noop))
    return written
  }

  // ---------------------------------------------------------------- getOrSet / wrap

  getOrSet<T>(
    key: string,
    factory: (ctx: FactoryContext) => T | Promise<T>,
    options?: GetOrSetOptions,
  ): Promise<T> {
    if (this.closed) return Promise.reject(new CacheClosedError(this.namespace))
    const hit = this.l1Hit(key)
    if (hit !== NONE) return Promise.resolve(hit as T)
    let call: ResolvedCall
    try {
      checkKey(key)
      if (typeof factory !== 'function') checks.fail('factory', factory, 'a function')
      call = resolveCall(this.o, options)
    } catch (error) {
      return Promise.reject(error)
    }
    return this.#producer.getOrSet(key, factory, call) as Promise<T>
  }

  wrap<A extends unknown[], R>(
    fn: (...args: A) => Promise<R>,
    options?: WrapOptions<A>,
  ): (...args: A) => Promise<R> {
    return wrapFunction(this, fn, options)
  }

  // ---------------------------------------------------------------- lifecycle & stats

  /** @internal Throws CacheClosedError after close(). */
  assertOpen(): void {
    if (this.closed) throw new CacheClosedError(this.namespace)
  }

  stats(): CacheStats {
    return buildStats(this, this.#producer)
  }

  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  /**
   * Refuses new work, flushes pending L2 writes and bus messages (bounded by closeTimeout), then
   * disconnects. Safe at any moment, also while still connecting.
   */
  async #close(): Promise<void> {
    this.closed = true
    this.#producer.close()
    const flush = async (): Promise<void> => {
      while (this.#pending.size > 0) await Promise.all(this.#pending)
      await this.bus?.drain()
    }
    if (this.#pending.size > 0 || this.bus !== undefined)
      await deadline(flush(), this.o.closeTimeout).catch(noop)
    await Promise.all([this.remote?.close(), this.bus?.close()])
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}
