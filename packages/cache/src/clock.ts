// Time of one cache instance: every read goes through its injected Clock (`clock` option, default
// @hotpath/core's systemClock). `now()` (monotonic ms) measures TTLs, grace, deadlines and lock waits
// of this process; `epoch()` (wall ms) is used for what is shared through Redis: envelope expiry
// times and invalidation stamps.
import type { Clock } from '@hotpath/core'

/**
 * Strictly increasing wall-clock stamps of one cache instance (epoch ms, fractional when called
 * more than once per ms): an entry written after an invalidation known here always has a later stamp.
 */
export class Stamps {
  readonly #clock: Clock
  #last = 0

  constructor(clock: Clock) {
    this.#clock = clock
  }

  /** The next stamp. */
  next(): number {
    const t = this.#clock.epoch()
    this.#last = t > this.#last ? t : this.#last + 0.001
    return this.#last
  }

  /** Makes later stamps greater than `wall` (an invalidation stamp learnt from elsewhere). */
  observe(wall: number): void {
    if (wall > this.#last) this.#last = wall
  }
}

/**
 * The `perf` object handed to lru-cache so its per-entry TTLs follow the same clock. lru-cache treats
 * a start time of 0 as "no TTL", so times are shifted to start at 1 when the cache is created
 * (fake timers start performance.now() at 0).
 */
export function lruPerf(clock: Clock): { now(): number } {
  const origin = clock.now() - 1
  return { now: () => clock.now() - origin }
}
