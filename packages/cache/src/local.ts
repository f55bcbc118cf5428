// The local tier (L1) behind one facade: its store (W-TinyLFU or lru-cache), the Wrapped entries that carry
// grace, tags and adaptive TTL, and the freshness rules (TTL, tag stamps). Until some entry needed a Wrapped,
// every value in the store is a plain, fresh one and reads skip the wrapper check.
import type { Clock } from '@hotpath/core'
import type { Envelope } from './codec.ts'
import type { Invalidations } from './invalidations.ts'
import { type L1Handle, type L1Store, type L1Value, Wrapped } from './l1.ts'

/** "No value" where undefined would be ambiguous. */
export const NONE: unique symbol = Symbol('none')

export class LocalTier {
  readonly handle: L1Handle
  readonly store: L1Store
  readonly #inv: Invalidations
  readonly #clock: Clock
  /** With adaptive TTL every entry is Wrapped and kept one TTL past its grace (the next TTL starts from it). */
  readonly #adaptive: boolean
  /** Whether any Wrapped entry was ever stored: until then, hits skip the wrapper check. */
  #wrapped = false
  /** Reused store set options (the store does not keep them). */
  readonly #setOpts: { ttl: number } = { ttl: 1 }

  constructor(handle: L1Handle, inv: Invalidations, clock: Clock, adaptive: boolean) {
    this.handle = handle
    this.store = handle.store
    this.#inv = inv
    this.#clock = clock
    this.#adaptive = adaptive
  }

  /** Fresh value (tags checked) or NONE. */
  fresh(key: string): unknown {
    const v = this.store.get(key)
    if (v === undefined) return NONE
    if (!this.#wrapped || !(v instanceof Wrapped)) return v
    return this.#freshWrapped(v) ? v.value : NONE
  }

  /** Whether a Wrapped entry is fresh and survived every tag invalidation known here. */
  #freshWrapped(w: Wrapped): boolean {
    const inv = this.#inv
    return w.exp > this.#clock.now() && (w.tags === undefined || !inv.any || inv.valid(w.createdAt, w.tags))
  }

  /**
   * The entry of `key` as a Wrapped, even when expired but still in grace; undefined when absent or plain
   * (a plain value is always fresh). Invalidated entries are dropped.
   */
  any(key: string): Wrapped | undefined {
    const v = this.store.get(key)
    if (!(v instanceof Wrapped)) return undefined
    if (v.tags !== undefined && this.#inv.any && !this.#inv.valid(v.createdAt, v.tags)) {
      const flags = this.handle.flags
      flags.expiring = true
      this.store.delete(key)
      flags.expiring = false
      return undefined
    }
    return v
  }

  /** A value just written (set, a factory's result): fresh for `ttl`, then stale for `grace`. */
  write(
    key: string,
    value: unknown,
    ttl: number,
    grace: number,
    tags: string[] | undefined,
    createdAt: number,
  ): void {
    if (grace > 0 || tags !== undefined || this.#adaptive) {
      const exp = this.#clock.now() + ttl
      this.put(
        key,
        new Wrapped(value, exp, exp + grace, createdAt, tags, ttl),
        this.#keepFor(ttl + grace, ttl),
      )
    } else {
      this.put(key, value as L1Value, ttl)
    }
  }

  /** Puts an L2 envelope in with its *remaining* TTL (envelope times are wall clock). */
  backfill(key: string, env: Envelope): void {
    const wall = this.#clock.epoch()
    const fresh = env.expiresAt - wall
    const untilStale = env.graceUntil - wall
    if (untilStale > fresh || env.tags !== undefined || this.#adaptive) {
      const wrapped = Wrapped.fromEnvelope(env, this.#clock)
      this.put(key, wrapped, this.#keepFor(untilStale, env.expiresAt - env.createdAt))
    } else if (fresh > 0) {
      this.put(key, env.value as L1Value, fresh)
    }
  }

  /** How long the store keeps a Wrapped entry: until its grace ends, plus one TTL with adaptive TTL. */
  #keepFor(untilStale: number, ttl: number): number {
    return this.#adaptive ? untilStale + ttl : untilStale
  }

  /** Stores `v` for `ttl` ms (the store's own TTL). */
  put(key: string, v: L1Value, ttl: number): void {
    const store = this.store
    if (ttl < 1) {
      store.delete(key)
      return
    }
    if (v instanceof Wrapped) {
      this.#wrapped = true
      if (v.tags !== undefined) {
        // Older than what the tag stamps still remember: it cannot be judged, so it is not kept.
        if (v.createdAt <= this.#inv.forgotBefore) {
          store.delete(key)
          return
        }
        this.#inv.noteLifetime(ttl + Math.max(0, this.#clock.epoch() - v.createdAt))
      }
    }
    const opts = this.#setOpts
    opts.ttl = Math.round(ttl)
    store.set(key, v, opts)
  }

  delete(key: string): boolean {
    return this.store.delete(key)
  }

  clear(): void {
    this.store.clear()
  }
}
