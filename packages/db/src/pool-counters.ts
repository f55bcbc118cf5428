// The pool's cumulative counters (stats()): creates, destroys, timeouts, wait and use times.
import type { TimeStats } from './pool-types.ts'

export class PoolCounters {
  created = 0
  destroyed = 0
  timeouts = 0
  readonly waitTime: TimeStats = { count: 0, totalMs: 0, maxMs: 0 }
  readonly useTime: TimeStats = { count: 0, totalMs: 0, maxMs: 0 }

  /** A lease handed out after `waitMs` (0: an idle resource at once). */
  lent(waitMs: number): void {
    const w = this.waitTime
    w.count++
    if (waitMs > 0) {
      w.totalMs += waitMs
      if (waitMs > w.maxMs) w.maxMs = waitMs
    }
  }

  /** A lease came back after `useMs`. */
  returned(useMs: number): void {
    const u = this.useTime
    u.count++
    u.totalMs += useMs
    if (useMs > u.maxMs) u.maxMs = useMs
  }
}
