// The layered cache: L1 (lru-cache) in front of an optional L2 (Keyv store / Redis), kept coherent
// across instances by the bus. Hot path: an L1 hit does one lru-cache lookup, one clock compare and
// (only when some tag was ever invalidated and the entry has tags) a tag check; nothing else.
import { randomUUID } from 'node:crypto'
import { Bus, type BusMessage } from './bus.ts'
import { deleteChannel, getChannel, setChannel } from './channels.ts'
import { fromWall, now, stamp, toWall } from './clock.ts'
import { decodeEnvelope, type Envelope, encodeEnvelope } from './codec.ts'
import { CacheClosedError, InvalidKeyError, InvalidOptionError, InvalidValueError } from './errors.ts'
import { Producer, type ResolvedCall } from './getorset.ts'
import { Invalidations } from './invalidations.ts'
import type { L2Backend } from './l2/backend.ts'
import { L2Guard } from './l2/guard.ts'
import { openL2 } from './l2/open.ts'
import { createL1, Entry, estimateBytes, type L1Handle, Meta } from './l1.ts'
import {
  type CacheOptions,
  checkPositive,
  type GetOrSetOptions,
  type ResolvedOptions,
  resolveOptions,
  type SetOptions,
} from './options.ts'
import type { Cache, CacheStats, FactoryContext, WrapOptions } from './types.ts'

const RESERVED = '__hp:'
/** TTL of invalidation stamps in L2: they must outlive every entry they may invalidate. */
const STAMP_TTL_MIN = 7 * 24 * 3600_000

function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidKeyError(key)
  if (key.startsWith(RESERVED)) throw new InvalidKeyError(key, `the prefix ${RESERVED} is reserved`)
}

function checkTags(name: string, tags: unknown): string[] | undefined {
  if (tags === undefined) return undefined
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string' && t.length > 0)) {
    throw new InvalidOptionError(name, tags, 'an array of non-empty strings')
  }
  return tags.length === 0 ? undefined : tags
}

export class LayeredCache implements Cache {
  readonly namespace: string
  readonly o: ResolvedOptions
  readonly l1: L1Handle | undefined
  readonly #lru: L1Handle['lru'] | undefined
  readonly l2: L2Backend | undefined
  readonly guard: L2Guard
  readonly inv: Invalidations
  readonly bus: Bus | undefined
  readonly instanceId: string = randomUUID()
  readonly #prefix: string
  readonly #producer: Producer
  closed = false
  /** Bumped by clear(): work that started before a clear does not write its result into L1. */
  epoch = 0
  #maxLifetime = 0
  #closing: Promise<void> | undefined

  // counters (stats())
  l1Hits = 0
  l2Hits = 0
  misses = 0
  staleServed = 0
  sets = 0
  deletes = 0
  l2Corrupt = 0

  constructor(options?: CacheOptions) {
    const o = resolveOptions(options)
    this.o = o
    this.namespace = o.namespace
    this.#prefix = `${o.namespace}:`
    this.l1 = o.l1 ? createL1(o.l1, o.namespace) : undefined
    this.#lru = this.l1?.lru
    this.inv = new Invalidations(o.invalidationSyncInterval)
    this.guard = new L2Guard({
      namespace: o.namespace,
      timeout: o.l2Timeout,
      threshold: o.breakerThreshold,
      halfOpenAfter: o.breakerHalfOpenAfter,
    })
    this.l2 = o.l2 === undefined ? undefined : openL2(o.l2, () => {})
    this.#producer = new Producer(this)
    this.bus =
      o.bus === undefined
        ? undefined
        : new Bus(o.bus.redisUrl, o.bus.channel, o.namespace, {
            onMessage: (m) => this.#onBusMessage(m),
            onReconnect: () => {
              this.#lru?.clear()
              this.inv.resetSynced()
            },
            onConnectedChange: (connected) => {
              this.inv.pushed = connected
            },
          })
  }

  l2Key(key: string): string {
    return this.#prefix + key
  }

  #stampKey(tag: string | null): string {
    return tag === null ? `${this.#prefix}${RESERVED}gen` : `${this.#prefix}${RESERVED}tag:${tag}`
  }

  lockKey(key: string): string {
    return `${this.#prefix}${RESERVED}lock:${key}`
  }

  // ---------------------------------------------------------------- L1 hot path

  /** L1 entry that is fresh and not invalidated, else undefined. */
  #fresh(key: string): Entry | undefined {
    const e = this.#lru?.get(key)
    if (e === undefined) return undefined
    if (e.exp > now()) {
      const m = e.meta
      if (m === undefined || m.tags === undefined || !this.inv.any || this.inv.valid(m.createdAt, m.tags))
        return e
    }
    return undefined
  }

  peek<T = unknown>(key: string): T | undefined {
    const e = this.#lru?.get(key)
    if (e !== undefined && e.exp > now()) {
      const m = e.meta
      if (m === undefined || m.tags === undefined || !this.inv.any || this.inv.valid(m.createdAt, m.tags)) {
        return e.value as T
      }
    }
    if (typeof key !== 'string') throw new InvalidKeyError(key)
    return undefined
  }

  get<T = unknown>(key: string): Promise<T | undefined> {
    if (this.closed) return Promise.reject(new CacheClosedError(this.namespace))
    const e = this.#fresh(key)
    if (e !== undefined) {
      this.l1Hits++
      if (getChannel.hasSubscribers)
        getChannel.publish({ cache: this.namespace, key, result: 'hit', tier: 'l1' })
      return Promise.resolve(e.value as T)
    }
    try {
      checkKey(key)
    } catch (error) {
      return Promise.reject(error)
    }
    return this.#getSlow(key) as Promise<T | undefined>
  }

  async #getSlow(key: string): Promise<unknown> {
    if (this.l2 !== undefined) {
      const epoch = this.epoch
      const env = await this.readL2(key)
      if (env !== undefined) {
        const e = this.backfill(key, env, epoch)
        if (e.exp > now()) {
          this.l2Hits++
          if (getChannel.hasSubscribers)
            getChannel.publish({ cache: this.namespace, key, result: 'hit', tier: 'l2' })
          return env.value
        }
      }
    }
    this.misses++
    if (getChannel.hasSubscribers)
      getChannel.publish({ cache: this.namespace, key, result: 'miss', tier: 'none' })
    return undefined
  }

  async has(key: string): Promise<boolean> {
    this.#open()
    if (this.#fresh(key) !== undefined) return true
    checkKey(key)
    if (this.l2 === undefined) return false
    const epoch = this.epoch
    const env = await this.readL2(key)
    return env !== undefined && this.backfill(key, env, epoch).exp > now()
  }

  /**
   * The L1 entry of `key` even when expired (still valid w.r.t. invalidations), else undefined.
   * Invalidated entries are dropped.
   */
  l1Any(key: string): Entry | undefined {
    const l1 = this.l1
    if (l1 === undefined) return undefined
    const e = l1.lru.get(key)
    if (e === undefined) return undefined
    const m = e.meta
    if (m !== undefined && m.tags !== undefined && this.inv.any && !this.inv.valid(m.createdAt, m.tags)) {
      l1.flags.expiring = true
      l1.lru.delete(key)
      l1.flags.expiring = false
      return undefined
    }
    return e
  }

  // ---------------------------------------------------------------- L2

  /** Reads, decodes and validates the L2 envelope of `key` (stale ones included); never throws. */
  async readL2(key: string): Promise<Envelope | undefined> {
    const l2 = this.l2!
    const full = this.l2Key(key)
    let raw: unknown
    try {
      raw = await this.guard.call('get', () => l2.get(full))
    } catch {
      return undefined
    }
    if (raw === undefined || raw === null) return undefined
    return this.acceptRaw(key, raw)
  }

  /** Validates a raw L2 value of `key` (corrupt values are counted and deleted). */
  async acceptRaw(key: string, raw: unknown): Promise<Envelope | undefined> {
    const env = decodeEnvelope(raw)
    if (env === undefined) {
      this.l2Corrupt++
      const l2 = this.l2!
      const full = this.l2Key(key)
      this.guard.call('delete', () => l2.delete(full)).catch(() => {})
      return undefined
    }
    const need = this.inv.stale(env.tags)
    if (need !== undefined) await this.#sync(need)
    if (!this.inv.valid(env.createdAt, env.tags)) return undefined
    if (fromWall(env.graceUntil) <= now()) return undefined
    return env
  }

  async #sync(names: (string | null)[]): Promise<void> {
    const l2 = this.l2!
    const keys = names.map((n) => this.#stampKey(n))
    let values: unknown[]
    try {
      values = await this.guard.call('sync', () => l2.getMany(keys))
    } catch {
      return
    }
    for (let i = 0; i < names.length; i++) {
      const v = Number(values[i])
      if (values[i] != null && Number.isFinite(v) && v > 0) {
        const name = names[i]!
        if (name === null) this.inv.invalidateAll(v)
        else this.inv.invalidateTag(name, v)
      }
    }
    this.inv.markSynced(names)
  }

  /** Puts an L2 envelope into L1 with its *remaining* TTL; returns the entry. */
  backfill(key: string, env: Envelope, epoch: number): Entry {
    const exp = fromWall(env.expiresAt)
    const staleUntil = fromWall(env.graceUntil)
    const ttl = env.expiresAt - env.createdAt
    const meta =
      staleUntil > exp || env.tags !== undefined || this.o.adaptiveTtl !== undefined
        ? new Meta(staleUntil, env.createdAt, env.tags, ttl)
        : undefined
    const e = new Entry(env.value, exp, meta)
    if (this.#lru !== undefined && epoch === this.epoch && !this.closed) this.#lru.set(key, e)
    return e
  }

  // ---------------------------------------------------------------- writes

  async set<T>(key: string, value: T, options?: SetOptions): Promise<void> {
    this.#open()
    checkKey(key)
    let ttl = this.o.ttl
    let grace = this.o.grace
    let tags: string[] | undefined
    if (options !== undefined) {
      if (options.ttl !== undefined) ttl = checkPositive('ttl', options.ttl)
      if (options.grace !== undefined) grace = checkPositive('grace', options.grace, true)
      tags = checkTags('tags', options.tags)
    }
    await this.store(key, value, ttl, grace, tags, this.epoch)
  }

  /**
   * Writes L1 (synchronously) and starts the L2 write, returning its promise (bounded by l2Timeout, never
   * rejects: an L2 failure leaves the value in L1 only). Throws synchronously for unserializable values.
   */
  store(
    key: string,
    value: unknown,
    ttl: number,
    grace: number,
    tags: string[] | undefined,
    epoch: number,
  ): Promise<void> {
    if (value === undefined) throw new InvalidValueError(key, value)
    const t = now()
    const exp = t + ttl
    const staleUntil = exp + grace
    const createdAt = stamp()
    let encoded: string | undefined
    if (this.l2 !== undefined) {
      encoded = encodeEnvelope(key, {
        v: 1,
        value,
        createdAt,
        expiresAt: toWall(exp),
        graceUntil: toWall(staleUntil),
        tags,
      })
    }
    if (epoch !== this.epoch || this.closed) return Promise.resolve()
    this.sets++
    const lru = this.#lru
    if (lru !== undefined) {
      const meta =
        grace > 0 || tags !== undefined || this.o.adaptiveTtl !== undefined
          ? new Meta(staleUntil, createdAt, tags, ttl)
          : undefined
      lru.set(key, new Entry(value, exp, meta))
      if (setChannel.hasSubscribers)
        setChannel.publish({ cache: this.namespace, key, ttlMs: ttl, tier: 'l1' })
    }
    if (this.bus !== undefined) this.bus.publish('key', { keys: [key] })
    if (encoded === undefined) return Promise.resolve()
    const l2 = this.l2!
    const full = this.l2Key(key)
    const life = ttl + grace
    if (life > this.#maxLifetime) this.#maxLifetime = life
    const data = encoded
    return this.guard
      .call('set', () => l2.set(full, data, life))
      .then(
        () => {
          if (setChannel.hasSubscribers)
            setChannel.publish({ cache: this.namespace, key, ttlMs: ttl, tier: 'l2' })
        },
        () => {
          // counted by the guard; the value lives in L1 only
        },
      )
  }

  async delete(key: string): Promise<boolean> {
    this.#open()
    checkKey(key)
    let existed = this.#lru?.delete(key) ?? false
    this.deletes++
    if (deleteChannel.hasSubscribers) deleteChannel.publish({ cache: this.namespace, key })
    if (this.bus !== undefined) this.bus.publish('key', { keys: [key] })
    if (this.l2 !== undefined) {
      const l2 = this.l2
      const full = this.l2Key(key)
      try {
        existed = (await this.guard.call('delete', () => l2.delete(full))) || existed
      } catch {
        // counted by the guard
      }
    }
    return existed
  }

  async clear(): Promise<void> {
    this.#open()
    this.epoch++
    this.#lru?.clear()
    const at = stamp()
    this.inv.invalidateAll(at)
    if (this.bus !== undefined) this.bus.publish('clear', { at })
    if (this.l2 !== undefined) await this.#writeStamp(null, at)
  }

  async invalidateTags(tags: string[]): Promise<void> {
    this.#open()
    const list = checkTags('tags', tags)
    if (list === undefined) return
    const at = stamp()
    for (const tag of list) this.inv.invalidateTag(tag, at)
    if (this.bus !== undefined) this.bus.publish('tags', { tags: list, at })
    if (this.l2 !== undefined) await Promise.all(list.map((tag) => this.#writeStamp(tag, at)))
  }

  async #writeStamp(tag: string | null, at: number): Promise<void> {
    const l2 = this.l2!
    const key = this.#stampKey(tag)
    const ttl = Math.max(STAMP_TTL_MIN, this.#maxLifetime * 2)
    try {
      await this.guard.call(tag === null ? 'clear' : 'set', () => l2.set(key, String(at), ttl))
      this.inv.markSynced([tag])
    } catch {
      // counted by the guard
    }
  }

  #onBusMessage(m: BusMessage): void {
    const lru = this.#lru
    switch (m.t) {
      case 'key':
        if (lru !== undefined && m.keys !== undefined) for (const k of m.keys) lru.delete(k)
        break
      case 'tags':
        if (m.tags !== undefined) {
          const at = Math.max(m.at ?? 0, stamp())
          for (const tag of m.tags) this.inv.invalidateTag(tag, at)
        }
        break
      case 'clear':
        this.epoch++
        lru?.clear()
        this.inv.invalidateAll(Math.max(m.at ?? 0, stamp()))
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
    const e = this.#fresh(key)
    if (e !== undefined) {
      this.l1Hits++
      if (getChannel.hasSubscribers)
        getChannel.publish({ cache: this.namespace, key, result: 'hit', tier: 'l1' })
      return Promise.resolve(e.value as T)
    }
    let call: ResolvedCall
    try {
      checkKey(key)
      if (typeof factory !== 'function') throw new InvalidOptionError('factory', factory, 'a function')
      call = this.#resolveCall(options)
    } catch (error) {
      return Promise.reject(error)
    }
    return this.#producer.getOrSet(key, factory, call) as Promise<T>
  }

  #resolveCall(options: GetOrSetOptions | undefined): ResolvedCall {
    const o = this.o
    if (options === undefined) {
      return {
        ttl: o.ttl,
        grace: o.grace,
        tags: undefined,
        softTimeout: undefined,
        hardTimeout: undefined,
        lock: false,
      }
    }
    const softTimeout =
      options.softTimeout === undefined ? undefined : checkPositive('softTimeout', options.softTimeout)
    const hardTimeout =
      options.hardTimeout === undefined ? undefined : checkPositive('hardTimeout', options.hardTimeout)
    if (options.lock !== undefined && typeof options.lock !== 'boolean') {
      throw new InvalidOptionError('lock', options.lock, 'a boolean')
    }
    return {
      ttl: options.ttl === undefined ? o.ttl : checkPositive('ttl', options.ttl),
      grace: options.grace === undefined ? o.grace : checkPositive('grace', options.grace, true),
      tags: checkTags('tags', options.tags),
      softTimeout,
      hardTimeout,
      lock: options.lock === true,
    }
  }

  wrap<A extends unknown[], R>(
    fn: (...args: A) => Promise<R>,
    options?: WrapOptions<A>,
  ): (...args: A) => Promise<R> {
    if (typeof fn !== 'function') throw new InvalidOptionError('fn', fn, 'a function')
    const keyOf = options?.key
    if (keyOf !== undefined && typeof keyOf !== 'function') {
      throw new InvalidOptionError('key', keyOf, 'a function (...args) => string')
    }
    if (keyOf === undefined && !fn.name) {
      throw new InvalidOptionError('key', keyOf, 'a key function when the wrapped function has no name')
    }
    const call: GetOrSetOptions = {}
    if (options?.ttl !== undefined) call.ttl = checkPositive('ttl', options.ttl)
    if (options?.grace !== undefined) call.grace = checkPositive('grace', options.grace, true)
    if (options?.tags !== undefined) call.tags = checkTags('tags', options.tags)
    const prefix = `wrap:${fn.name}:`
    return (...args: A): Promise<R> => {
      let key: string
      try {
        key = keyOf ? keyOf(...args) : prefix + JSON.stringify(args)
      } catch (error) {
        return Promise.reject(error)
      }
      return this.getOrSet(key, () => fn(...args), call)
    }
  }

  /**
   * Stores `value` only if `key` holds no fresh value; true when stored. Atomic across instances on Redis
   * (SET NX PX); best effort on other stores. Used by the idempotency store.
   */
  async addIfAbsent(key: string, value: unknown, ttl: number): Promise<boolean> {
    this.#open()
    checkKey(key)
    const l2 = this.l2
    if (l2 === undefined && this.#fresh(key) !== undefined) return false
    const epoch = this.epoch
    if (l2?.setIfAbsent !== undefined) {
      const createdAt = stamp()
      const exp = now() + ttl
      const encoded = encodeEnvelope(key, {
        v: 1,
        value,
        createdAt,
        expiresAt: toWall(exp),
        graceUntil: toWall(exp),
        tags: undefined,
      })
      const full = this.l2Key(key)
      try {
        let ok = await this.guard.call('set', () => l2.setIfAbsent!(full, encoded, ttl))
        if (!ok) {
          const env = await this.readL2(key)
          if (env !== undefined && fromWall(env.expiresAt) > now()) {
            this.backfill(key, env, epoch)
            return false
          }
          // What blocks the key is stale, corrupt or invalidated (clear / tags): take it over.
          await this.guard.call('set', () => l2.set(full, encoded, ttl))
          ok = true
        }
        this.sets++
        this.#lru?.set(key, new Entry(value, exp, undefined))
        if (this.bus !== undefined) this.bus.publish('key', { keys: [key] })
        return true
      } catch {
        // L2 unavailable: decide on what this process knows (below).
      }
    } else if (l2 !== undefined) {
      const env = await this.readL2(key)
      if (env !== undefined && fromWall(env.expiresAt) > now()) {
        this.backfill(key, env, epoch)
        return false
      }
    }
    await this.store(key, value, ttl, 0, undefined, epoch)
    return true
  }

  /** Reads L2 first (shared truth across instances), then L1; used by the idempotency store. */
  async getShared(key: string): Promise<unknown> {
    this.#open()
    checkKey(key)
    if (this.l2 !== undefined) {
      const epoch = this.epoch
      const env = await this.readL2(key)
      if (env !== undefined && this.backfill(key, env, epoch).exp > now()) return env.value
    }
    return this.#fresh(key)?.value
  }

  // ---------------------------------------------------------------- lifecycle & stats

  #open(): void {
    if (this.closed) throw new CacheClosedError(this.namespace)
  }

  stats(): CacheStats {
    const l1 = this.l1
    let bytes = 0
    if (l1 !== undefined) {
      if (this.o.l1 && this.o.l1.maxBytes !== undefined) bytes = l1.lru.calculatedSize
      else if (l1.lru.size > 0) {
        // Approximate: the mean estimated size of up to 64 recent entries times the count.
        let n = 0
        let sum = 0
        for (const e of l1.lru.values()) {
          sum += estimateBytes(e.value)
          if (++n >= 64) break
        }
        bytes = Math.round((sum / n) * l1.lru.size)
      }
    }
    const p = this.#producer
    const bus = this.bus
    return {
      kind: 'cache',
      name: this.namespace,
      l1Hits: this.l1Hits,
      l2Hits: this.l2Hits,
      misses: this.misses,
      staleServed: this.staleServed,
      sets: this.sets,
      deletes: this.deletes,
      evictions: l1 ? { ...l1.evictions } : { evict: 0, expire: 0, set: 0, delete: 0 },
      factoryCalls: p.factoryCalls,
      factoryErrors: p.factoryErrors,
      factoryTimeouts: p.factoryTimeouts,
      coalesced: p.coalesced,
      l2Errors: this.guard.errors,
      l2Timeouts: this.guard.timeouts,
      l2Corrupt: this.l2Corrupt,
      breaker: this.guard.state,
      entries: l1?.lru.size ?? 0,
      bytes,
      adaptive: { grew: p.adaptiveGrew, shrank: p.adaptiveShrank },
      locks: { acquired: p.locksAcquired, waited: p.locksWaited, fallback: p.locksFallback },
      bus: bus === undefined ? undefined : { ...bus.stats },
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    this.closed = true
    this.#producer.close()
    this.guard.close()
    await Promise.all([this.l2?.close(), this.bus?.close()])
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}
