// The pool's waiters: a FIFO ring buffer with ONE deadline timer for all of them. The timer is armed
// for the earliest deadline and, when it fires, sweeps every expired waiter and re-arms for the next
// one; serving a waiter never touches a timer.
import type { Clock } from '@hotpath/core'
import { Ring } from './ring.ts'

export interface Waiter<L> {
  resolve: (lease: L) => void
  reject: (error: unknown) => void
  enqueuedAt: number
  deadline: number
  settled: boolean
  /** Where acquire() was called (leak detection only). */
  origin: Error | undefined
  /** Rejected at once when a create fails while the pool holds no resource (the pool's / the call's failFast). */
  failFast: boolean
}

export class WaiterQueue<L> {
  private readonly ring = new Ring<Waiter<L>>(16)
  private timer: NodeJS.Timeout | null = null
  private timerAt = Number.POSITIVE_INFINITY
  private readonly onExpired: (waiter: Waiter<L>, now: number) => void
  private readonly clock: Clock
  /** Waiters not settled yet. */
  pending = 0

  /** `onExpired` rejects a waiter whose deadline passed (it is already marked settled and uncounted). */
  constructor(onExpired: (waiter: Waiter<L>, now: number) => void, clock: Clock) {
    this.onExpired = onExpired
    this.clock = clock
  }

  add(waiter: Waiter<L>, now: number): void {
    this.ring.push(waiter)
    this.pending++
    if (waiter.deadline < this.timerAt) this.arm(waiter.deadline, now)
  }

  /** The oldest waiter still waiting, now settled and uncounted; undefined when none waits. */
  takeOldest(): Waiter<L> | undefined {
    const ring = this.ring
    while (ring.length > 0) {
      const w = ring.shift()!
      if (w.settled) continue
      w.settled = true
      this.pending--
      // Nobody waits any more: the deadline timer must not keep the process alive.
      if (this.pending === 0) this.stop()
      return w
    }
    return undefined
  }

  /** Settles every waiter with `error` and stops the timer (pool close). */
  rejectAll(error: unknown): void {
    this.stop()
    this.ring.retain((w) => {
      if (!w.settled) {
        w.settled = true
        this.pending--
        w.reject(error)
      }
      return false
    })
  }

  /**
   * Takes `waiter` out of the queue when `signal` aborts, then calls `onAborted(reason)` (which rejects
   * it); the listener is removed once the waiter is resolved or rejected otherwise.
   */
  cancelOn(waiter: Waiter<L>, signal: AbortSignal, onAborted: (reason: unknown) => void): void {
    const { resolve, reject } = waiter
    const onAbort = () => {
      if (this.cancel(waiter)) onAborted(signal.reason)
    }
    signal.addEventListener('abort', onAbort, { once: true })
    waiter.resolve = (lease) => {
      signal.removeEventListener('abort', onAbort)
      resolve(lease)
    }
    waiter.reject = (error) => {
      signal.removeEventListener('abort', onAbort)
      reject(error)
    }
  }

  /** Takes one waiter out (an aborted caller); false when it was already settled. */
  cancel(waiter: Waiter<L>): boolean {
    if (waiter.settled) return false
    waiter.settled = true
    this.pending--
    if (this.pending === 0) this.stop()
    return true
  }

  /** Settles the waiters `match` picks with `error` (oldest first); the others keep waiting. */
  rejectWhere(match: (waiter: Waiter<L>) => boolean, error: unknown): void {
    const rejected: Waiter<L>[] = []
    this.ring.retain((w) => {
      if (w.settled) return false
      if (!match(w)) return true
      w.settled = true
      this.pending--
      rejected.push(w)
      return false
    })
    if (this.pending === 0) this.stop()
    for (const w of rejected) w.reject(error)
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    this.timerAt = Number.POSITIVE_INFINITY
  }

  private arm(deadline: number, now: number): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timerAt = deadline
    // Referenced on purpose: the timer exists only while someone waits, and a pending caller must keep
    // the process alive until its promise settles (stop() clears it when the queue empties).
    this.timer = setTimeout(() => this.sweep(), Math.max(0, deadline - now) + 1)
  }

  private sweep(): void {
    this.timer = null
    this.timerAt = Number.POSITIVE_INFINITY
    const t = this.clock.now()
    let next = Number.POSITIVE_INFINITY
    const expired: Waiter<L>[] = []
    this.ring.retain((w) => {
      if (w.settled) return false
      if (w.deadline <= t) {
        w.settled = true
        this.pending--
        expired.push(w)
        return false
      }
      if (w.deadline < next) next = w.deadline
      return true
    })
    if (next !== Number.POSITIVE_INFINITY) this.arm(next, t)
    for (const w of expired) this.onExpired(w, t)
  }
}
