// The remote tier (L2) behind one facade: the store, its guard (deadline + breaker), the key layout, the
// envelope decoding, the invalidation stamps and what to do with bad data. The cache asks it for envelopes;
// only this file sees raw L2 values.
import type { Clock } from '@hotpath/core'
import { RESERVED } from './call-options.ts'
import { decodeEnvelope, type Envelope } from './codec.ts'
import type { Counters } from './counters.ts'
import { ValueTooLargeError } from './errors.ts'
import type { Invalidations } from './invalidations.ts'
import type { L2Backend } from './l2/backend.ts'
import { isReplyError, type L2Guard } from './l2/guard.ts'

/** How far ahead of this process's wall clock an invalidation stamp may be (clock skew between hosts). */
export const MAX_STAMP_SKEW = 60_000
/** TTL of invalidation stamps in L2: they must outlive every entry they may invalidate. */
const STAMP_TTL_MIN = 7 * 24 * 3600_000

const noop = (): void => {}

export interface RemoteTierOptions {
  namespace: string
  /** Largest envelope read (bytes); a larger one is skipped, never a breaker failure. */
  maxValueBytes: number
  inv: Invalidations
  clock: Clock
  counters: Counters
}

export class RemoteTier {
  readonly backend: L2Backend
  readonly guard: L2Guard
  readonly #prefix: string
  readonly #o: RemoteTierOptions
  /** The longest TTL + grace written so far: stamps are kept at least twice as long. */
  #maxLifetime = 0
  /** While L2 has not connected the first time (bounded by connectTimeout): calls wait for it. */
  connecting: Promise<void> | undefined
  /** Stamp reads in flight, by name (null = the clear generation). */
  readonly #syncing = new Map<string | null, Promise<void>>()

  constructor(backend: L2Backend, guard: L2Guard, options: RemoteTierOptions) {
    this.backend = backend
    this.guard = guard
    this.#o = options
    this.#prefix = `${options.namespace}:`
  }

  /** `<namespace>:<key>`. */
  key(key: string): string {
    return this.#prefix + key
  }

  lockKey(key: string): string {
    return `${this.#prefix}${RESERVED}lock:${key}`
  }

  /** Key of an increment() counter: its own keyspace (a get() of the same key never sees it). */
  counterKey(key: string): string {
    return `${this.#prefix}${RESERVED}count:${key}`
  }

  /** Key of an invalidation stamp (null: the clear generation). */
  stampKey(tag: string | null): string {
    return tag === null ? `${this.#prefix}${RESERVED}gen` : `${this.#prefix}${RESERVED}tag:${tag}`
  }

  /** Whether the store can do atomic set-if-absent (Redis): locks and idempotency need it. */
  get atomic(): boolean {
    return this.backend.setIfAbsent !== undefined
  }

  noteLifetime(ms: number): void {
    if (ms > this.#maxLifetime) this.#maxLifetime = ms
  }

  /** A key whose L2 value is unusable (wrong type, corrupt): counted and deleted. */
  dropBad(key: string): void {
    this.dropBadKey(this.key(key))
  }

  /** dropBad() of a full L2 key (a counter's, say). */
  dropBadKey(full: string): void {
    this.#o.counters.l2Corrupt++
    this.guard.call('delete', () => this.backend.delete(full)).catch(noop)
  }

  /** Reads, decodes and validates the envelope of `key` (stale ones included); never throws. */
  async read(key: string): Promise<Envelope | undefined> {
    const full = this.key(key)
    let raw: unknown
    try {
      raw = await this.guard.call('get', () => this.backend.get(full))
    } catch (error) {
      if (isReplyError(error)) this.dropBad(key)
      return undefined
    }
    if (raw === undefined || raw === null) return undefined
    return this.accept(key, raw)
  }

  /** Raw values of `keys` in one round trip (accept() each), or undefined when L2 failed (counted). */
  readMany(keys: readonly string[]): Promise<unknown[] | undefined> {
    const full = keys.map((k) => this.key(k))
    return this.guard
      .call('get', () => this.backend.getMany(full), { size: full.length })
      .catch(() => undefined)
  }

  /**
   * Validates a raw value of `key`: corrupt values are counted and deleted; invalidation stamps are read
   * from L2 first when they may be out of date (then a promise is returned).
   */
  accept(key: string, raw: unknown, wall?: number): Envelope | undefined | Promise<Envelope | undefined> {
    if (raw === undefined || raw === null) return undefined
    const o = this.#o
    if (typeof raw === 'string' && raw.length > o.maxValueBytes) {
      // Larger than any value this cache writes: skipped (a miss), never a breaker failure.
      this.guard.ignored('get', new ValueTooLargeError(key, raw.length, o.maxValueBytes))
      return undefined
    }
    const env = decodeEnvelope(raw)
    if (env === undefined) {
      this.dropBad(key)
      return undefined
    }
    const need = o.inv.stale(env.tags)
    if (need !== undefined) return this.#syncShared(need).then(() => this.#check(env))
    return this.#check(env, wall)
  }

  /** `wall`: the caller's reading of clock.epoch() for this reply (one time read per L2 get). */
  #check(env: Envelope, wall: number = this.#o.clock.epoch()): Envelope | undefined {
    const inv = this.#o.inv
    // createdAt / graceUntil are parsed only when needed (see DecodedEnvelope).
    if ((inv.clearedAt !== 0 || (env.tags !== undefined && inv.any)) && !inv.valid(env.createdAt, env.tags)) {
      return undefined
    }
    if (env.expiresAt <= wall && env.graceUntil <= wall) return undefined
    return env
  }

  /**
   * The stamps `names` read from L2, joining reads already in flight: every concurrent read that finds the
   * stamps out of date waits for one MGET instead of sending its own.
   */
  #syncShared(names: (string | null)[]): Promise<void> {
    const syncing = this.#syncing
    let missing: (string | null)[] | undefined
    let wait: Promise<void> | undefined
    let waits: Promise<void>[] | undefined
    for (const name of names) {
      const p = syncing.get(name)
      if (p === undefined) (missing ??= []).push(name)
      else if (wait === undefined) wait = p
      else if (p !== wait) (waits ??= [wait]).push(p)
    }
    if (missing !== undefined) {
      const started = missing
      const p = this.#sync(started) // never rejects
      for (const name of started) syncing.set(name, p)
      p.then(() => {
        for (const name of started) if (syncing.get(name) === p) syncing.delete(name)
      })
      if (wait === undefined) wait = p
      else (waits ??= [wait]).push(p)
    }
    return waits === undefined ? wait! : Promise.all(waits).then(noop)
  }

  /** Reads invalidation stamps (tags; null = the clear generation) from L2 into the local state. */
  async #sync(names: (string | null)[]): Promise<void> {
    const keys = names.map((n) => this.stampKey(n))
    let values: unknown[]
    try {
      values = await this.guard.call('sync', () => this.backend.getMany(keys))
    } catch {
      return
    }
    const inv = this.#o.inv
    // A stamp beyond now + MAX_STAMP_SKEW is foreign or corrupt: trusting it would hide every entry for good.
    const limit = this.#o.clock.epoch() + MAX_STAMP_SKEW
    for (let i = 0; i < names.length; i++) {
      const v = Number(values[i])
      if (values[i] != null && Number.isFinite(v) && v > 0 && v <= limit) {
        const name = names[i]!
        if (name === null) inv.invalidateAll(v)
        else inv.invalidateTag(name, v)
      }
    }
    inv.markSynced(names)
  }

  /** Writes invalidation stamps (null = the clear generation), pipelined; true when all landed. */
  writeStamps(names: (string | null)[], at: number): Promise<boolean> {
    const ttl = Math.max(STAMP_TTL_MIN, this.#maxLifetime * 2)
    const entries = names.map((n) => this.stampKey(n))
    const op = names.length === 1 && names[0] === null ? 'clear' : 'set'
    return this.guard
      .call(op, () => this.backend.setMany(entries, String(at), ttl), { size: entries.length })
      .then(
        () => {
          this.#o.inv.markSynced(names)
          return true
        },
        () => false, // counted by the guard
      )
  }

  // ------------------------------------------------------------ the distributed lock (atomic stores only)

  /** SET NX PX of `key`'s lock; true when taken. Rejects when L2 fails (the caller's fallback decides). */
  tryLock(key: string, token: string, ttl: number): Promise<boolean> {
    const lock = this.lockKey(key)
    return this.guard.call('lock', () => this.backend.setIfAbsent!(lock, token, ttl))
  }

  /** Extends the lock while it still holds `token`; false when it is no longer ours. */
  renewLock(key: string, token: string, ttl: number): Promise<boolean> | undefined {
    const backend = this.backend
    if (backend.renewIfEquals === undefined) return undefined
    const lock = this.lockKey(key)
    return this.guard.call('lock', () => backend.renewIfEquals!(lock, token, ttl))
  }

  /** Deletes the lock only while it still holds `token`; never rejects. */
  releaseLock(key: string, token: string): Promise<void> {
    const lock = this.lockKey(key)
    return this.guard.call('lock', () => this.backend.deleteIfEquals!(lock, token)).catch(noop)
  }

  /** The raw value of `key` and the holder of its lock, in one round trip. */
  valueAndLock(key: string): Promise<unknown[]> {
    const keys = [this.key(key), this.lockKey(key)]
    return this.guard.call('lock', () => this.backend.getMany(keys))
  }

  close(): Promise<void> {
    this.guard.close()
    return this.backend.close()
  }
}
