// An injectable clock (lru-cache's `perf` option, widened to wall time). Every package reads time
// through one, so tests drive TTLs, backoffs and deadlines with fake timers or a manual clock.

export interface Clock {
  /** Monotonic milliseconds (fractional allowed): durations, deadlines, TTLs. */
  now(): number
  /** Wall-clock epoch milliseconds: stamps shared with other processes. */
  epoch(): number
}

/**
 * The default clock. It reads `performance.now()` and `Date.now()` at each call (no captured
 * references), so Vitest/Sinon fake timers installed after import still drive it.
 */
export const systemClock: Clock = Object.freeze({
  now: (): number => performance.now(),
  epoch: (): number => Date.now(),
})

/** True when `value` has the two methods of a Clock. */
export function isClock(value: unknown): value is Clock {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Clock).now === 'function' &&
    typeof (value as Clock).epoch === 'function'
  )
}
