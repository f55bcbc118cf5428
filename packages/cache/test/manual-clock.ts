// A hand-driven Clock for tests (not a test file): time moves only when the test says so.
import type { Clock } from '@hotpath/core'

export interface ManualClock extends Clock {
  /** Moves both the monotonic and the wall clock forward by `ms`. */
  advance(ms: number): void
}

export function manualClock(epoch: number = Date.now()): ManualClock {
  let mono = 1_000
  let wall = epoch
  return {
    now: () => mono,
    epoch: () => wall,
    advance(ms: number) {
      mono += ms
      wall += ms
    },
  }
}
