// Lazy invalidation: tags and clear() are wall-clock stamps; an entry created at or before the stamp of
// one of its tags (or of the last clear) is a miss. Stamps written by other instances live in L2 under
// reserved keys and are read when an L2 entry needs them (cached locally; pushed by the bus when connected).
import type { Clock } from '@hotpath/core'
import type { Stamps } from './clock.ts'

/** Slack added to the longest lifetime before a stamp is dropped (ms). */
const SWEEP_MARGIN = 1_000

export class Invalidations {
  /** Tag -> latest invalidation stamp known here. */
  readonly tagTimes: Map<string, number> = new Map()
  /** True once any tag was invalidated: until then tag checks are skipped entirely. */
  any = false
  clearedAt = 0
  /** While true (bus connected), stamps synced from L2 never go stale: the bus pushes changes. */
  pushed = false
  readonly #interval: number
  readonly #clock: Clock
  readonly #stamps: Stamps
  readonly #tagSynced = new Map<string, number>()
  #genSynced = Number.NEGATIVE_INFINITY
  /** Longest lifetime (ms from creation to leaving L1) of a tagged entry in use here. */
  #horizon: number
  /** Wall stamp at or before which tag stamps may have been dropped (entries that old cannot be judged). */
  forgotBefore = 0
  #nextSweep = 0

  constructor(syncInterval: number, clock: Clock, stamps: Stamps, lifetime: number) {
    this.#interval = syncInterval
    this.#clock = clock
    this.#stamps = stamps
    this.#horizon = lifetime
  }

  /** A tagged entry may live `ms` from its creation stamp: stamps are kept at least that long. */
  noteLifetime(ms: number): void {
    if (ms > this.#horizon) this.#horizon = ms
  }

  /**
   * Drops tag stamps older than the longest lifetime + a margin: every entry created before them is
   * gone, so they cannot invalidate anything. Amortized: at most once per max(1 s, horizon / 4).
   */
  #sweep(now: number): void {
    const cutoff = now - this.#horizon - SWEEP_MARGIN
    this.#nextSweep = now + Math.max(1_000, this.#horizon / 4)
    if (cutoff <= this.forgotBefore) return
    this.forgotBefore = cutoff
    const synced = this.#tagSynced
    for (const [tag, at] of this.tagTimes) {
      if (at < cutoff) {
        this.tagTimes.delete(tag)
        // read again from L2 if an entry with this tag shows up there
        synced.delete(tag)
      }
    }
  }

  /** Whether an entry created at `createdAt` with `tags` survived every invalidation known here. */
  valid(createdAt: number, tags: readonly string[] | undefined): boolean {
    if (createdAt <= this.clearedAt) return false
    if (tags === undefined || !this.any) return true
    for (let i = 0; i < tags.length; i++) {
      const at = this.tagTimes.get(tags[i]!)
      if (at !== undefined && createdAt <= at) return false
    }
    return true
  }

  invalidateTag(tag: string, at: number): void {
    if (at >= this.#nextSweep) this.#sweep(this.#clock.epoch())
    this.#stamps.observe(at)
    const prev = this.tagTimes.get(tag)
    if (prev === undefined || at > prev) this.tagTimes.set(tag, at)
    this.any = true
  }

  invalidateAll(at: number): void {
    this.#stamps.observe(at)
    if (at > this.clearedAt) this.clearedAt = at
  }

  /** Which stamps (null = the clear generation) must be read from L2 before trusting an entry with `tags`. */
  stale(tags: readonly string[] | undefined): (string | null)[] | undefined {
    if (this.pushed && this.#genSynced !== Number.NEGATIVE_INFINITY && tags === undefined) return undefined
    const limit = this.#clock.now() - this.#interval
    let out: (string | null)[] | undefined
    if (!(this.pushed ? this.#genSynced !== Number.NEGATIVE_INFINITY : this.#genSynced > limit)) out = [null]
    if (tags !== undefined) {
      for (const tag of tags) {
        const at = this.#tagSynced.get(tag)
        if (at === undefined || (!this.pushed && at <= limit)) (out ??= []).push(tag)
      }
    }
    return out
  }

  markSynced(names: readonly (string | null)[]): void {
    const t = this.#clock.now()
    for (const name of names) {
      if (name === null) this.#genSynced = t
      else this.#tagSynced.set(name, t)
    }
    if (this.#tagSynced.size > 100_000) this.#tagSynced.clear()
  }

  /** Forget what was synced (after a bus reconnect: messages may have been lost). */
  resetSynced(): void {
    this.#tagSynced.clear()
    this.#genSynced = Number.NEGATIVE_INFINITY
  }
}
