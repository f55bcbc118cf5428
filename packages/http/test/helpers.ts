// Test-only helpers of @hotpath/http (the shared ones come from @hotpath/test-helpers).
import type { Clock } from '@hotpath/core'
import { expect, vi } from 'vitest'
import { HotpathError } from '../src/index.ts'

/**
 * A clock that moves only when told to: breaker and rate-limit timing become exact. `epoch()` starts at the
 * real Date.now() (undici's cache stamps entries with it) and moves with `advance()`.
 */
export interface ManualClock extends Clock {
  advance(ms: number): void
}

export function manualClock(start = 1_000): ManualClock {
  let t = start
  const epoch0 = Date.now() - start
  return {
    now: () => t,
    epoch: () => epoch0 + t,
    advance(ms: number) {
      t += ms
    },
  }
}

/** The code of the coded HotpathError `promise` rejects with (fails the test when it resolves). */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error, 'expected a rejection with a HotpathError').toBeInstanceOf(HotpathError)
  return (error as HotpathError).code
}

/**
 * Fake setTimeout/clearTimeout only (Date, performance, setImmediate and I/O stay real), so timers of our
 * logic (retry waits, batch pauses) are driven by the test while real sockets keep working.
 */
export function fakeTimeouts(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
}
