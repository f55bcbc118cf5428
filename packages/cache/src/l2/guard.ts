// Every L2 call goes through the guard: a deadline (l2Timeout) and a circuit breaker.
// Deadlines share one timer: calls are queued in deadline order (one timeout for all), and a sweeper
// rejects the overdue ones, so a call costs one small object instead of a timer of its own.
import type { Clock } from '@hotpath/core'
import { type BreakerState, breakerChannel, type L2Operation, l2ErrorChannel } from '../channels.ts'
import { L2TimeoutError, L2UnavailableError } from '../errors.ts'

export type { BreakerState, L2Operation }

/** One call under a deadline. `fail` runs when the deadline passes first. */
export class Waiter {
  deadline: number
  op: L2Operation
  fail: (error: unknown) => void
  done = false
  constructor(deadline: number, op: L2Operation, fail: (error: unknown) => void) {
    this.deadline = deadline
    this.op = op
    this.fail = fail
  }
}

export interface GuardOptions {
  namespace: string
  timeout: number
  threshold: number
  halfOpenAfter: number
  clock: Clock
}

export class L2Guard {
  state: BreakerState = 'closed'
  errors = 0
  timeouts = 0
  readonly #o: GuardOptions
  readonly #clock: Clock
  #failures = 0
  #openedAt = 0
  #probing = false
  #queue: Waiter[] = []
  #head = 0
  #timer: NodeJS.Timeout | undefined

  constructor(options: GuardOptions) {
    this.#o = options
    this.#clock = options.clock
  }

  /** Whether a call may go to L2 now (false while the breaker is open; one probe when half-open). */
  allow(): boolean {
    if (this.state === 'closed') return true
    if (this.state === 'open') {
      if (this.#clock.now() - this.#openedAt < this.#o.halfOpenAfter) return false
      this.#setState('half-open')
      this.#probing = false
    }
    if (this.#probing) return false
    this.#probing = true
    return true
  }

  /**
   * Runs `start` under the breaker and the deadline. Rejects with L2UnavailableError when the breaker is
   * open, L2TimeoutError after the deadline, or the store's error.
   */
  call<T>(op: L2Operation, start: () => Promise<T>): Promise<T> {
    if (!this.allow()) return Promise.reject(new L2UnavailableError(op))
    let p: Promise<T>
    try {
      p = start()
    } catch (error) {
      this.failed(op, error)
      return Promise.reject(error)
    }
    return this.wrap(op, p)
  }

  /** Puts a started call (the caller checked allow()) under the deadline; records its outcome. */
  wrap<T>(op: L2Operation, p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const w = this.track(op, reject)
      p.then(
        (v) => {
          if (!this.settle(w)) return
          this.succeeded()
          resolve(v)
        },
        (e) => {
          if (!this.settle(w)) return
          this.failed(op, e)
          reject(e)
        },
      )
    })
  }

  /** Starts the deadline of a call; `fail` gets an L2TimeoutError if the deadline passes first. */
  track(op: L2Operation, fail: (error: unknown) => void): Waiter {
    const w = new Waiter(this.#clock.now() + this.#o.timeout, op, fail)
    this.#queue.push(w)
    if (this.#timer === undefined) this.#arm(this.#o.timeout)
    return w
  }

  /**
   * Marks a call as finished; false when its deadline already passed (its outcome is then ignored).
   * Calls mostly finish in order (Redis pipelines), so finished calls are dropped from the queue head
   * right away and do not live until the next sweep.
   */
  settle(w: Waiter): boolean {
    if (w.done) return false
    w.done = true
    const q = this.#queue
    let head = this.#head
    while (head < q.length && q[head]!.done) head++
    if (head === q.length) {
      q.length = 0
      head = 0
    } else if (head > 256 && head * 2 > q.length) {
      this.#queue = q.slice(head)
      head = 0
    }
    this.#head = head
    return true
  }

  /** Records a successful call (closes a half-open breaker, resets the failure count). */
  succeeded(): void {
    if (this.#failures !== 0 || this.state !== 'closed') this.#succeed()
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(this.#sweep, Math.max(1, ms))
    this.#timer.unref()
  }

  #sweep = (): void => {
    this.#timer = undefined
    const t = this.#clock.now()
    const q = this.#queue
    let head = this.#head
    while (head < q.length) {
      const w = q[head]!
      if (w.done) {
        head++
        continue
      }
      if (w.deadline > t) break
      head++
      w.done = true
      const error = new L2TimeoutError(w.op, this.#o.timeout)
      this.#fail(w.op, error, true)
      w.fail(error)
    }
    if (head >= q.length) {
      this.#queue = []
      this.#head = 0
      return
    }
    if (head > 1024 && head * 2 > q.length) {
      this.#queue = q.slice(head)
      head = 0
    }
    this.#head = head
    this.#arm(this.#queue[head]!.deadline - t)
  }

  #succeed(): void {
    this.#failures = 0
    this.#probing = false
    if (this.state !== 'closed') this.#setState('closed')
  }

  /** Records a failed call (error, not timeout). */
  failed(op: L2Operation, error: unknown): void {
    this.#fail(op, error, false)
  }

  #fail(op: L2Operation, error: unknown, timeout: boolean): void {
    if (timeout) this.timeouts++
    else this.errors++
    if (l2ErrorChannel.hasSubscribers)
      l2ErrorChannel.publish({ cache: this.#o.namespace, operation: op, error, timeout })
    this.#failures++
    this.#probing = false
    if (this.state === 'half-open' || (this.state === 'closed' && this.#failures >= this.#o.threshold)) {
      this.#openedAt = this.#clock.now()
      this.#setState('open')
    }
  }

  #setState(state: BreakerState): void {
    this.state = state
    if (breakerChannel.hasSubscribers) breakerChannel.publish({ cache: this.#o.namespace, state })
  }

  /** Rejects every pending call (used by close()). */
  close(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    for (let i = this.#head; i < this.#queue.length; i++) {
      const w = this.#queue[i]!
      if (!w.done) {
        w.done = true
        w.fail(new L2UnavailableError(w.op, 'the cache is closing'))
      }
    }
    this.#queue = []
    this.#head = 0
  }
}
