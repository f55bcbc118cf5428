// The layered cache: L1 (W-TinyLFU or lru-cache) in front of an optional L2 (Keyv store / Redis), kept coherent
// across instances by the bus. Hot path: an L1 hit is one lru-cache lookup (lru-cache checks the TTL)
// and, only once some entry needed a wrapper (grace, tags, adaptive TTL), one instanceof check.
import { randomUUID } from 'node:crypto'
import type { Clock } from '@hotpath/core'
import { Bus, type BusMessage } from './bus.ts'
import { deleteChannel, getChannel, setChannel } from './channels.ts'
import { Stamps } from './clock.ts'
import { type Envelope, encodeEnvelope } from './codec.ts'
import { checkKey, checkKeys, checkTags, RESERVED, resolveCall } from './call-options.ts'
import {
  CacheClosedError,
  CacheNotReadyError,
  InvalidKeyError,
  InvalidValueError,
  L2NotReadyError,
  ValueTooLargeError,
} from './errors.ts'
import { Producer, type ResolvedCall } from './getorset.ts'
import { buildStats } from './stats.ts'
import { wrapFunction } from './wrap.ts'
import { accept, MAX_STAMP_SKEW, readL2, toWrapped } from './l2/read.ts'
import { Invalidations } from './invalidations.ts'
import type { L2Backend } from './l2/backend.ts'
import { isReplyError, L2Guard } from './l2/guard.ts'
import { openL2, redisTarget } from './l2/open.ts'
import { RedisBackend, sameTarget } from './l2/redis.ts'
import { createL1, type L1Handle, type L1Store, type L1Value, Wrapped } from './l1.ts'
import {
  type CacheOptions,
  checks,
  type GetOrSetOptions,
  type ResolvedOptions,
  resolveOptions,
  type SetOptions,
} from './options.ts'
import type { Cache, CacheStats, FactoryContext, SetManyEntry, WrapOptions } from './types.ts'

/** TTL of invalidation stamps in L2: they must outlive every entry they may invalidate. */
const STAMP_TTL_MIN = 7 * 24 * 3600_000
/** "No value" where undefined would be ambiguous. */
export const NONE: unique symbol = Symbol('none')
const noop = (): void => {}

/** `p`, or a rejection after `ms` (an unref'd timer: never keeps the process alive). */
function deadline<T>(p: Promise<T>, ms: number, _clock: Clock): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new L2NotReadyError()), ms)
    timer.unref()
    p.then(
      (v) => {
        clearTimeout(timer)
        resolve(v)
      },
      (e) => {
        clearTimeout(timer)
        reject(e)
      },
    )
  })
}

export class LayeredCache implements Cache {
  readonly namespace: string
  readonly o: ResolvedOptions
  readonly l1: L1Handle | undefined
  readonly l2: L2Backend | undefined
  readonly guard: L2Guard
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

  // counters (stats())
  l1Hits = 0
  l2Hits = 0
  misses = 0
  staleServed = 0
  sets = 0
  deletes = 0
  l2Corrupt = 0

  readonly #lru: L1Store | undefined
  /** Whether any Wrapped entry was ever stored: until then, hits skip the wrapper check. */
  #wrapped = false
  /** Reused lru-cache set options (lru-cache does not keep them). */
  readonly #setOpts: { ttl: number } = { ttl: 1 }
  readonly #prefix: string
  readonly #producer: Producer
  #maxLifetime = 0
  #closing: Promise<void> | undefined
  /** While L2 has not connected the first time (bounded by connectTimeout). */
  #connecting: Promise<void> | undefined
  /** L2 writes (and the bus messages that follow them) not settled yet. */
  readonly #pending = new Set<Promise<void>>()

  constructor(options?: CacheOptions) {
    const o = resolveOptions(options)
    this.o = o
    this.namespace = o.namespace
    this.clock = o.clock
    this.stamps = new Stamps(o.clock)
    this.#prefix = `${o.namespace}:`
    this.l1 = o.l1 ? createL1(o.l1, o.namespace, o.clock) : undefined
    this.#lru = this.l1?.store
    this.inv = new Invalidations(
      o.invalidationSyncInterval,
      o.clock,
      this.stamps,
      o.ttl + o.grace + (o.adaptiveTtl?.max ?? 0),
    )
    this.guard = new L2Guard({
      namespace: o.namespace,
      timeout: o.l2Timeout,
      threshold: o.breakerThreshold,
      halfOpenAfter: o.breakerHalfOpenAfter,
      clock: o.clock,
    })
    const l2 = o.l2 === undefined ? undefined : openL2(o.l2, () => {})
    this.l2 = l2
    if (l2 instanceof RedisBackend) l2.onReady = () => this.guard.reconnected()
    const pending = l2?.pending?.()
    if (pending !== undefined) {
      // Until the first connect (bounded by connectTimeout), L2 calls wait for it instead of failing.
      const done = (): void => {
        this.#connecting = undefined
      }
      this.#connecting = deadline(pending, o.connectTimeout, o.clock).then(done, done)
      this.guard.gate = () => this.#connecting
    }
    this.#producer = new Producer(this)
    // One publisher connection less: the bus publishes through the L2 client of the same server.
    const l2Target = redisTarget(o.l2)
    const shared =
      l2 instanceof RedisBackend &&
      l2Target !== undefined &&
      o.bus !== undefined &&
      sameTarget(l2Target, o.bus.target)
        ? l2.created
        : undefined
    this.bus =
      o.bus === undefined
        ? undefined
        : new Bus(
            o.bus.target,
            o.bus.channel,
            o.namespace,
            {
              onMessage: (m) => this.#onBusMessage(m),
              onReconnect: () => {
                this.#lru?.clear()
                this.inv.resetSynced()
              },
              onConnectedChange: (connected) => {
                this.inv.pushed = connected
              },
            },
            shared,
          )
  }

  /**
   * Resolves once L2 and the bus are connected; rejects with CacheNotReadyError when they are not
   * within connectTimeout (the cache still works: L2 calls then fail fast and count as misses).
   */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(new CacheClosedError(this.namespace))
    const parts: Promise<unknown>[] = []
    const l2 = this.l2
    if (l2?.connected !== undefined) parts.push(l2.connected())
    if (this.bus !== undefined) parts.push(this.bus.started)
    if (parts.length === 0) return Promise.resolve()
    return deadline(Promise.all(parts), this.o.connectTimeout, this.clock).then(
      () => undefined,
      (error) => {
        throw new CacheNotReadyError(this.namespace, this.o.connectTimeout, error)
      },
    )
  }

  l2Key(key: string): string {
    return this.#prefix + key
  }

  lockKey(key: string): string {
    return `${this.#prefix}${RESERVED}lock:${key}`
  }

  /** @internal Key of an invalidation stamp in L2 (null: the clear generation). */
  stampKey(tag: string | null): string {
    return tag === null ? `${this.#prefix}${RESERVED}gen` : `${this.#prefix}${RESERVED}tag:${tag}`
  }

  // ---------------------------------------------------------------- L1 hot path

  /** Whether a Wrapped entry is fresh and survived every tag invalidation known here. */
  #freshWrapped(w: Wrapped): boolean {
    return (
      w.exp > this.clock.now() &&
      (w.tags === undefined || !this.inv.any || this.inv.valid(w.createdAt, w.tags))
    )
  }

  /** @internal Fresh L1 value (tags checked) or NONE. */
  freshValue(key: string): unknown {
    const v = this.#lru?.get(key)
    if (v === undefined) return NONE
    // Until a Wrapped entry exists, every L1 value is a plain, fresh one: skip the instanceof.
    if (!this.#wrapped || !(v instanceof Wrapped)) return v
    return this.#freshWrapped(v) ? v.value : NONE
  }

  /** @internal Whether an L2 envelope is fresh now (its times are wall clock: compared with epoch()). */
  fresh(env: Envelope): boolean {
    return env.expiresAt > this.clock.epoch()
  }

  /** A fresh L1 value, counted and published as an L1 hit; NONE (nothing counted) otherwise. */
  #l1Hit(key: string): unknown {
    const v = this.freshValue(key)
    if (v !== NONE) {
      this.l1Hits++
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
    const hit = this.#l1Hit(key)
    if (hit !== NONE) return Promise.resolve(hit as T)
    try {
      checkKey(key)
    } catch (error) {
      return Promise.reject(error)
    }
    if (this.l2 === undefined) return Promise.resolve(this.#miss(key))
    return this.#getL2(key) as Promise<T | undefined>
  }

  #miss(key: string): undefined {
    this.misses++
    if (getChannel.hasSubscribers)
      getChannel.publish({ cache: this.namespace, key, result: 'miss', tier: 'none' })
    return undefined
  }

  /** get() from L2: one guarded GET, decoded synchronously; no async function layers on the way. */
  #getL2(key: string): Promise<unknown> {
    const l2 = this.l2!
    const guard = this.guard
    if (this.#connecting !== undefined) return this.#connecting.then(() => this.#getL2(key))
    if (!guard.allow()) return Promise.resolve(this.#miss(key))
    let p: Promise<unknown>
    try {
      p = l2.get(this.#prefix + key)
    } catch (error) {
      guard.failed('get', error)
      return Promise.resolve(this.#miss(key))
    }
    const epoch = this.epoch
    return new Promise((resolve) => {
      const w = guard.track('get', () => resolve(this.#miss(key)))
      p.then(
        (raw) => {
          if (!guard.settle(w)) return
          guard.succeeded()
          resolve(this.#onL2Get(key, raw, epoch))
        },
        (error) => {
          if (!guard.settle(w)) return
          guard.failed('get', error)
          if (isReplyError(error)) this.dropBad(key)
          resolve(this.#miss(key))
        },
      )
    })
  }

  /** @internal A key whose L2 value is unusable (wrong type, corrupt): counted and deleted. */
  dropBad(key: string): void {
    this.l2Corrupt++
    const l2 = this.l2!
    const full = this.l2Key(key)
    this.guard.call('delete', () => l2.delete(full)).catch(noop)
  }

  #onL2Get(key: string, raw: unknown, epoch: number): unknown {
    if (raw === undefined || raw === null) return this.#miss(key)
    const env = accept(this, key, raw)
    if (env instanceof Promise) return env.then((e) => this.#onEnvelope(key, e, epoch))
    return this.#onEnvelope(key, env, epoch)
  }

  #onEnvelope(key: string, env: Envelope | undefined, epoch: number): unknown {
    if (env === undefined) return this.#miss(key)
    if (this.#lru !== undefined) this.backfill(key, env, epoch)
    if (this.fresh(env)) {
      this.l2Hits++
      if (getChannel.hasSubscribers)
        getChannel.publish({ cache: this.namespace, key, result: 'hit', tier: 'l2' })
      return env.value
    }
    return this.#miss(key)
  }

  async has(key: string): Promise<boolean> {
    this.assertOpen()
    if (this.freshValue(key) !== NONE) return true
    checkKey(key)
    if (this.l2 === undefined) return false
    const epoch = this.epoch
    const env = await readL2(this, key)
    if (env === undefined) return false
    this.backfill(key, env, epoch)
    return this.fresh(env)
  }

  /**
   * The L1 entry of `key` as a Wrapped, even when expired but still in grace; undefined when absent.
   * Invalidated entries are dropped. (Plain entries are fresh: lru-cache expires them itself.)
   */
  l1Any(key: string): Wrapped | undefined {
    const l1 = this.l1
    if (l1 === undefined) return undefined
    const v = l1.store.get(key)
    if (v === undefined) return undefined
    // A plain value is always fresh, and getOrSet's fast path has returned it already.
    if (!(v instanceof Wrapped)) return undefined
    if (v.tags !== undefined && this.inv.any && !this.inv.valid(v.createdAt, v.tags)) {
      l1.flags.expiring = true
      l1.store.delete(key)
      l1.flags.expiring = false
      return undefined
    }
    return v
  }

  /** Puts an L2 envelope into L1 with its *remaining* TTL (envelope times are wall clock). */
  backfill(key: string, env: Envelope, epoch: number): void {
    if (this.#lru === undefined || epoch !== this.epoch || this.closed) return
    const wall = this.clock.epoch()
    const fresh = env.expiresAt - wall
    const untilStale = env.graceUntil - wall
    if (untilStale > fresh || env.tags !== undefined || this.o.adaptiveTtl !== undefined) {
      this.put(key, toWrapped(this, env), this.#keepFor(untilStale, env.expiresAt - env.createdAt))
    } else if (fresh > 0) {
      this.put(key, env.value as L1Value, fresh)
    }
  }

  /** How long lru-cache keeps a Wrapped entry: until its grace ends, plus one TTL with adaptive TTL. */
  #keepFor(untilStale: number, ttl: number): number {
    return this.o.adaptiveTtl === undefined ? untilStale : untilStale + ttl
  }

  /** @internal Stores `v` in L1 for `ttl` ms (lru-cache TTL). */
  put(key: string, v: L1Value, ttl: number): void {
    const lru = this.#lru!
    if (ttl < 1) {
      lru.delete(key)
      return
    }
    if (v instanceof Wrapped) {
      this.#wrapped = true
      if (v.tags !== undefined) {
        // Older than what the tag stamps still remember: it cannot be judged, so it is not kept.
        if (v.createdAt <= this.inv.forgotBefore) {
          lru.delete(key)
          return
        }
        this.inv.noteLifetime(ttl + Math.max(0, this.clock.epoch() - v.createdAt))
      }
    }
    const opts = this.#setOpts
    opts.ttl = Math.round(ttl)
    lru.set(key, v, opts)
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
    const exp = this.clock.now() + ttl
    const staleUntil = exp + grace
    let encoded: string | undefined
    if (this.l2 !== undefined) {
      const expiresAt = this.clock.epoch() + ttl
      const env = { value, createdAt, expiresAt, graceUntil: expiresAt + grace, tags }
      encoded = encodeEnvelope(key, env, this.o.compress)
    }
    if (epoch !== this.epoch || this.closed) return Promise.resolve()
    this.sets++
    if (this.#lru !== undefined) {
      if (grace > 0 || tags !== undefined || this.o.adaptiveTtl !== undefined) {
        this.put(
          key,
          new Wrapped(value, exp, staleUntil, createdAt, tags, ttl),
          this.#keepFor(ttl + grace, ttl),
        )
      } else {
        this.put(key, value as L1Value, ttl)
      }
      if (setChannel.hasSubscribers)
        setChannel.publish({ cache: this.namespace, key, ttlMs: ttl, tier: 'l1' })
    }
    const bus = this.bus
    if (encoded === undefined) {
      bus?.publish('key', { keys: [key] })
      return Promise.resolve()
    }
    const l2 = this.l2!
    const full = this.l2Key(key)
    const max = this.o.maxValueBytes
    if (encoded.length * 3 > max && Buffer.byteLength(encoded) > max) {
      // Too large for L2: L1 only, reported, never a breaker failure; the old L2 value is dropped.
      this.guard.ignored('set', new ValueTooLargeError(key, Buffer.byteLength(encoded), max))
      return this.track(
        this.guard
          .call('delete', () => l2.delete(full))
          .then(
            () => bus?.publish('key', { keys: [key] }),
            () => bus?.publish('key', { keys: [key] }, true),
          ),
      )
    }
    const life = ttl + grace
    if (life > this.#maxLifetime) this.#maxLifetime = life
    const data = encoded
    // The bus message goes out once the L2 write landed (or failed): a receiver that refetches then
    // finds the new value, not the one being replaced.
    return this.track(
      this.guard
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

  async delete(key: string): Promise<boolean> {
    this.assertOpen()
    checkKey(key)
    this.#producer.cancel(key)
    let existed = this.#lru?.delete(key) ?? false
    this.deletes++
    if (deleteChannel.hasSubscribers) deleteChannel.publish({ cache: this.namespace, key })
    let failed = false
    if (this.l2 !== undefined) {
      const l2 = this.l2
      const full = this.l2Key(key)
      const p = this.guard.call('delete', () => l2.delete(full))
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

  async getMany<T = unknown>(keys: readonly string[]): Promise<(T | undefined)[]> {
    this.assertOpen()
    checkKeys(keys)
    const out: unknown[] = new Array(keys.length)
    const missing: number[] = []
    for (let i = 0; i < keys.length; i++) {
      const hit = this.#l1Hit(keys[i]!)
      if (hit === NONE) missing.push(i)
      else out[i] = hit
    }
    const l2 = this.l2
    if (missing.length > 0 && l2 === undefined) for (const i of missing) out[i] = this.#miss(keys[i]!)
    if (missing.length === 0 || l2 === undefined) return out as (T | undefined)[]
    const epoch = this.epoch
    const full = missing.map((i) => this.#prefix + keys[i])
    const raws = await this.guard
      .call('get', () => l2.getMany(full), { size: full.length })
      .catch(() => undefined) // counted by the guard: every key is a miss
    for (let j = 0; j < missing.length; j++) {
      const key = keys[missing[j]!]!
      out[missing[j]!] = raws === undefined ? this.#miss(key) : await this.#onL2Get(key, raws[j], epoch)
    }
    return out as (T | undefined)[]
  }

  async setMany<T>(entries: ReadonlyArray<SetManyEntry<T>>): Promise<void> {
    this.assertOpen()
    if (!Array.isArray(entries))
      checks.fail('entries', entries, 'an array of { key, value, ttl?, grace?, tags? }')
    const writes = entries.map((e, i) => {
      checks.object(`entries[${i}]`, e, ['key', 'value', 'ttl', 'grace', 'tags'])
      checkKey(e.key)
      if (e.value === undefined) throw new InvalidValueError(e.key, e.value)
      return {
        key: e.key,
        value: e.value,
        ttl: checks.positive(`entries[${i}].ttl`, e.ttl, this.o.ttl),
        grace: checks.nonNegative(`entries[${i}].grace`, e.grace, this.o.grace),
        tags: checkTags(`entries[${i}].tags`, e.tags),
      }
    })
    const epoch = this.epoch
    // Issued in one tick: the Redis client writes the SETs together (one round trip).
    await Promise.all(writes.map((w) => this.store(w.key, w.value, w.ttl, w.grace, w.tags, epoch)))
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    this.assertOpen()
    checkKeys(keys)
    if (keys.length === 0) return 0
    let existed = 0
    for (const key of keys) {
      this.#producer.cancel(key)
      if (this.#lru?.delete(key)) existed++
      this.deletes++
      if (deleteChannel.hasSubscribers) deleteChannel.publish({ cache: this.namespace, key })
    }
    let failed = false
    const l2 = this.l2
    if (l2 !== undefined) {
      const full = keys.map((k) => this.l2Key(k))
      const p = this.guard.call('delete', () => l2.deleteMany(full), { size: full.length })
      this.track(p.then(noop, noop))
      // L2 holds every entry L1 does, unless its write failed: the larger count is the answer
      const inL2 = await p.catch(() => {
        failed = true // counted by the guard
        return 0
      })
      existed = Math.max(existed, inL2)
    }
    this.bus?.publish('key', { keys: [...keys] }, failed)
    return existed
  }

  async clear(): Promise<void> {
    this.assertOpen()
    this.epoch++
    this.#lru?.clear()
    const at = this.stamps.next()
    this.inv.invalidateAll(at)
    const ok = this.l2 === undefined || (await this.#writeStamps([null], at))
    this.bus?.publish('clear', { at }, !ok)
  }

  async invalidateTags(tags: string[]): Promise<void> {
    this.assertOpen()
    const list = checkTags('tags', tags)
    if (list === undefined) return
    const at = this.stamps.next()
    for (const tag of list) this.inv.invalidateTag(tag, at)
    const ok = this.l2 === undefined || (await this.#writeStamps(list, at))
    this.bus?.publish('tags', { tags: list, at }, !ok)
  }

  /** Writes invalidation stamps (null = the clear generation); true when all landed. */
  #writeStamps(names: (string | null)[], at: number): Promise<boolean> {
    const l2 = this.l2!
    const ttl = Math.max(STAMP_TTL_MIN, this.#maxLifetime * 2)
    const value = String(at)
    const entries = names.map((n) => this.stampKey(n))
    const op = names.length === 1 && names[0] === null ? 'clear' : 'set'
    let ok = false
    const p = this.guard
      .call(op, () => l2.setMany(entries, value, ttl), { size: entries.length })
      .then(
        () => {
          ok = true
          this.inv.markSynced(names)
        },
        noop, // counted by the guard
      )
    return this.track(p).then(() => ok)
  }

  /** A bus stamp, or 0 when it is beyond now + the allowed skew (it would hide every entry for good). */
  #busStamp(at: number | undefined): number {
    return at !== undefined && at <= this.clock.epoch() + MAX_STAMP_SKEW ? at : 0
  }

  #onBusMessage(m: BusMessage): void {
    const lru = this.#lru
    switch (m.t) {
      case 'key':
        if (lru !== undefined && m.keys !== undefined) for (const k of m.keys) lru.delete(k)
        break
      case 'tags':
        if (m.tags !== undefined) {
          const at = Math.max(this.#busStamp(m.at), this.stamps.next())
          for (const tag of m.tags) this.inv.invalidateTag(tag, at)
        }
        break
      case 'clear':
        this.epoch++
        lru?.clear()
        this.inv.invalidateAll(Math.max(this.#busStamp(m.at), this.stamps.next()))
        break
    }
  }

  // ---------------------------------------------------------------- getOrSet / wrap

  getOrSet<T>(
    key: string,
    factory: (ctx: FactoryContext) => T | Promise<T>,
    options?: GetOrSetOptions,
  ): Promise<T> {
    if (this.closed) return Promise.reject(new CacheClosedError(this.namespace))
    const hit = this.#l1Hit(key)
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
      await deadline(flush(), this.o.closeTimeout, this.clock).catch(noop)
    this.guard.close()
    await Promise.all([this.l2?.close(), this.bus?.close()])
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}
