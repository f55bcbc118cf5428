// Every L2 call goes through the guard: a deadline (l2Timeout) and a circuit breaker.
// Deadlines share one timer: calls are queued in deadline order (one timeout for all), and a sweeper
// rejects the overdue ones, so a call costs one small object instead of a timer of its own.
// One turn of I/O is not time: the real setImmediate (fake timers replace only the global one).
import { setImmediate as afterIo } from 'node:timers'
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
  /** Whether passing the deadline counts as a breaker failure (only small commands do). */
  counts = true
  constructor(deadline: number, op: L2Operation, fail: (error: unknown) => void) {
    this.deadline = deadline
    this.op = op
    this.fail = fail
  }
}

/** Per-call guard options: `size` = commands / entries in a bulk call (its deadline scales with it). */
export interface CallOptions {
  size?: number
  /** Bytes of a large value: its deadline scales too, and its timeout never counts. */
  bytes?: number
}

/** Half-open: this many trial calls may run at once. */
const TRIALS = 3
/** A call this large (entries or bytes) is "not small": its timeout does not count. */
const SMALL_SIZE = 1
const SMALL_BYTES = 64 * 1024

/**
 * Replies in which the server says it cannot serve anyone right now (a script running, loading its data, the
 * cluster down or failing over, a replica that lost its master, a write to a demoted master): outages.
 */
const OUTAGE_REPLY = /^(BUSY|LOADING|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|NOREPLICAS|READONLY) /

/** Whether `error` is an outage reply (counts toward the breaker like a connection failure). */
export function isOutageReply(error: unknown): boolean {
  return error instanceof Error && OUTAGE_REPLY.test(error.message)
}

/**
 * Whether an error says the server answered (WRONGTYPE, OOM, a bad value ...): a data error of one
 * key, not an outage. @redis/client reply errors are ErrorReply subclasses.
 */
export function isReplyError(error: unknown): boolean {
  if (!(error instanceof Error) || isOutageReply(error)) return false
  for (
    let p = Object.getPrototypeOf(error);
    p !== null && p !== Error.prototype;
    p = Object.getPrototypeOf(p)
  ) {
    if (p.constructor?.name === 'ErrorReply') return true
  }
  return /^(WRONGTYPE|ERR|OOM|NOSCRIPT|EXECABORT) /.test(error.message)
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
  #probing = 0
  #queue: Waiter[] = []
  #head = 0
  #timer: NodeJS.Timeout | undefined
  /** The timer fired and the sweep waits for one turn of I/O (setImmediate). */
  #sweeping = false
  #closed = false

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
      this.#probing = 0
    }
    if (this.#probing >= TRIALS) return false
    this.#probing++
    return true
  }

  /** The client (re)connected: Redis answers again, so the breaker closes at once. */
  reconnected(): void {
    if (this.state !== 'closed') this.#succeed()
  }

  /**
   * Runs `start` under the breaker and the deadline. Rejects with L2UnavailableError when the breaker is
   * open, L2TimeoutError after the deadline, or the store's error.
   */
  call<T>(op: L2Operation, start: () => Promise<T>, options?: CallOptions): Promise<T> {
    const gate = this.gate?.()
    if (gate !== undefined) {
      // Not connected yet (first connect): wait for it; the deadline starts once connected.
      return gate.then(() => this.call(op, start, options))
    }
    if (!this.allow()) return Promise.reject(new L2UnavailableError(op))
    let p: Promise<T>
    try {
      p = start()
    } catch (error) {
      this.failed(op, error)
      return Promise.reject(error)
    }
    return this.wrap(op, p, options)
  }

  /**
   * Set by the cache: a promise while the L2 client has never connected yet (calls wait for it,
   * bounded by the connect deadline), undefined once it has.
   */
  gate: (() => Promise<void> | undefined) | undefined

  /** Puts a started call (the caller checked allow()) under the deadline; records its outcome. */
  wrap<T>(op: L2Operation, p: Promise<T>, options?: CallOptions): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const w = this.track(op, reject, options)
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
  track(op: L2Operation, fail: (error: unknown) => void, options?: CallOptions): Waiter {
    let timeout = this.#o.timeout
    let counts = true
    if (options !== undefined) {
      const size = options.size ?? 1
      const bytes = options.bytes ?? 0
      if (size > SMALL_SIZE || bytes > SMALL_BYTES) {
        counts = false
        // One l2Timeout per 100 entries / per 64 KiB on top of the first.
        timeout *= 1 + Math.ceil(size / 100) + Math.ceil(bytes / 65_536)
      }
    }
    const w = new Waiter(this.#clock.now() + timeout, op, fail)
    w.counts = counts
    const q = this.#queue
    // Keep the queue in deadline order (a bulk call's longer deadline goes after the ones it outlives).
    let i = q.length
    while (i > this.#head && q[i - 1]!.deadline > w.deadline) i--
    if (i === q.length) q.push(w)
    else q.splice(i, 0, w)
    if (this.#timer === undefined) this.#arm(timeout)
    else if (i === this.#head && !this.#sweeping) {
      clearTimeout(this.#timer)
      this.#arm(timeout)
    }
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

  /**
   * The timer fired: first let the poll phase deliver replies already in the socket (after a stall of
   * this process, timers run before I/O), then fail what is still overdue.
   */
  #sweep = (): void => {
    this.#sweeping = true
    afterIo(this.#sweepNow)
  }

  #sweepNow = (): void => {
    this.#sweeping = false
    this.#timer = undefined
    if (this.#closed) return
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
      // A call found overdue by more than a whole l2Timeout means this process stalled (CPU
      // starvation, a long synchronous task), not Redis: count it as a timeout, not a breaker failure.
      const starved = t - w.deadline > this.#o.timeout
      this.#fail(w.op, error, true, !w.counts || starved)
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
    this.#probing = 0
    if (this.state !== 'closed') this.#setState('closed')
  }

  /**
   * Records a failed call (error, not timeout). A reply error (the server answered: WRONGTYPE, ...)
   * is a data error of one key and never a breaker failure.
   */
  failed(op: L2Operation, error: unknown): void {
    this.#fail(op, error, false, isReplyError(error))
  }

  /** Records a failure that says nothing about the connection (published, never counted). */
  ignored(op: L2Operation, error: unknown): void {
    this.#fail(op, error, false, true)
  }

  #fail(op: L2Operation, error: unknown, timeout: boolean, harmless: boolean): void {
    if (timeout) this.timeouts++
    else this.errors++
    if (l2ErrorChannel.hasSubscribers)
      l2ErrorChannel.publish({ cache: this.#o.namespace, operation: op, error, timeout })
    if (harmless) {
      if (this.state === 'half-open' && this.#probing > 0) this.#probing--
      return
    }
    this.#failures++
    this.#probing = 0
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
    this.#closed = true
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
