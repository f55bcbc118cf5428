// Per-origin circuit breaker: opens after consecutive failures, fails fast, lets one probe through after halfOpenAfter.
import type { Clock } from '@hotpath/core'
import type { BreakerState } from './channels.ts'
import { CircuitOpenError } from './errors.ts'

export interface BreakerOptions {
  /**
   * Consecutive failures that open the breaker: connect errors, resets, timeouts and responses whose status is
   * in `failureStatusCodes`. Default 5.
   */
  threshold?: number
  /** Time the breaker stays open before a probe is allowed, in ms. Default 10_000. */
  halfOpenAfter?: number
  /** Response statuses that mean "origin unhealthy" (not 500/501: a bug of one route). Default [502, 503, 504]. */
  failureStatusCodes?: number[]
}

/** Error codes that never count against the origin: the caller's abort, our own size limit, a bad request. */
const NOT_ORIGIN_FAULT: ReadonlySet<string> = new Set([
  'HOTPATH_HTTP_ABORTED',
  'HOTPATH_HTTP_RESPONSE_TOO_LARGE',
  'HOTPATH_HTTP_CIRCUIT_OPEN',
  'HOTPATH_HTTP_INVALID_REQUEST',
  'HOTPATH_HTTP_INVALID_URL',
])

export class CircuitBreaker {
  state: BreakerState = 'closed'
  readonly #origin: string
  readonly #threshold: number
  readonly #halfOpenAfter: number
  readonly #failureStatuses: ReadonlySet<number>
  readonly #clock: Clock
  readonly #onChange: (origin: string, state: BreakerState) => void
  #failures = 0
  #openedAt = 0
  #probing = false

  constructor(
    origin: string,
    options: Required<BreakerOptions>,
    onChange: (origin: string, state: BreakerState) => void,
    clock: Clock,
  ) {
    this.#origin = origin
    this.#threshold = options.threshold
    this.#halfOpenAfter = options.halfOpenAfter
    this.#failureStatuses = new Set(options.failureStatusCodes)
    this.#clock = clock
    this.#onChange = onChange
  }

  /** Throws CircuitOpenError when the request must not be sent. Returns true when it is the half-open probe. */
  enter(): boolean {
    if (this.state === 'closed') return false
    if (this.state === 'open') {
      const elapsed = this.#clock.now() - this.#openedAt
      if (elapsed < this.#halfOpenAfter)
        throw new CircuitOpenError(this.#origin, this.#halfOpenAfter - elapsed)
      this.#set('half-open')
    }
    // half-open: exactly one probe in flight
    if (this.#probing) throw new CircuitOpenError(this.#origin, 0)
    this.#probing = true
    return true
  }

  /** The verdict on one response: a failure when its status means "origin unhealthy", else a success. */
  judgeStatus(status: number, probe: boolean): void {
    if (this.#failureStatuses.has(status)) this.failure(probe)
    else this.success(probe)
  }

  /** The verdict on one failed attempt: only faults of the origin (connect, reset, timeout, truncation) count. */
  judgeError(code: string, probe: boolean): void {
    if (NOT_ORIGIN_FAULT.has(code)) this.release(probe)
    else this.failure(probe)
  }

  success(probe: boolean): void {
    this.#failures = 0
    if (probe) this.#probing = false
    if (this.state !== 'closed') this.#set('closed')
  }

  failure(probe: boolean): void {
    if (probe) {
      this.#probing = false
      this.#open()
      return
    }
    if (this.state !== 'closed') return
    this.#failures++
    if (this.#failures >= this.#threshold) this.#open()
  }

  /** A probe that ended without a verdict (aborted by the caller): let the next request probe. */
  release(probe: boolean): void {
    if (probe) this.#probing = false
  }

  #open(): void {
    this.#openedAt = this.#clock.now()
    this.#failures = 0
    this.#set('open')
  }

  #set(state: BreakerState): void {
    this.state = state
    this.#onChange(this.#origin, state)
  }
}
