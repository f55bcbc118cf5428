// Creating resources for the pool: each create bounded by createTimeout (a late resource is destroyed,
// never counted), failures counted for the backoff of the one retry timer, creates in flight tracked
// so close() can wait for them.
import { createChannel } from './channels.ts'
import { DbError } from './errors.ts'
import type { PoolCounters } from './pool-counters.ts'
import type { Disposer } from './pool-disposer.ts'

export interface CreatorOptions<T> {
  pool: string
  create: () => T | Promise<T>
  createTimeout: number
  retryInitialDelay: number
  retryMaxDelay: number
}

/** What the pool does with the outcome of a create (after the creator's own bookkeeping). */
export interface CreateOutcome<T> {
  created(resource: T): void
  failed(error: unknown): void
}

export class Creator<T> {
  /** Creates started and not settled (nor timed out). */
  creating = 0
  /** Consecutive failed creates (the backoff exponent); 0 after a success. */
  failures = 0
  /** The last create error, until a create succeeds (the cause of acquire timeouts). */
  lastError: unknown = undefined
  private readonly o: CreatorOptions<T>
  private readonly outcome: CreateOutcome<T>
  private readonly counters: PoolCounters
  private readonly disposer: Disposer<T>
  private readonly inFlight = new Set<Promise<void>>()
  private retryTimer: NodeJS.Timeout | null = null

  constructor(
    o: CreatorOptions<T>,
    outcome: CreateOutcome<T>,
    counters: PoolCounters,
    disposer: Disposer<T>,
  ) {
    this.o = o
    this.outcome = outcome
    this.counters = counters
    this.disposer = disposer
  }

  /** True while a backoff delay runs (no create starts before it ends). */
  get retrying(): boolean {
    return this.retryTimer !== null
  }

  start(): void {
    this.creating++
    let p: Promise<T>
    try {
      p = Promise.resolve(this.o.create())
    } catch (error) {
      p = Promise.reject(error)
    }
    // A create that never settles (a hung connect) counts as failed after createTimeout; if it settles
    // later its resource is destroyed (it was never counted).
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      this.inFlight.delete(tracked)
      const { pool, createTimeout } = this.o
      this.failed(
        new DbError(
          'HOTPATH_DB_CREATE_TIMEOUT',
          `pool "${pool}": create did not settle within ${createTimeout} ms`,
          {
            details: { pool, createTimeout },
          },
        ),
      )
    }, this.o.createTimeout)
    timer.unref()
    const tracked: Promise<void> = p.then(
      (resource) => {
        clearTimeout(timer)
        if (timedOut) {
          this.disposer.discard(resource)
          return
        }
        this.inFlight.delete(tracked)
        this.created(resource)
      },
      (error: unknown) => {
        clearTimeout(timer)
        if (timedOut) return
        this.inFlight.delete(tracked)
        this.failed(error)
      },
    )
    this.inFlight.add(tracked)
  }

  private created(resource: T): void {
    this.creating--
    this.failures = 0
    this.lastError = undefined
    this.counters.created++
    if (createChannel.hasSubscribers) createChannel.publish({ pool: this.o.pool })
    this.outcome.created(resource)
  }

  private failed(error: unknown): void {
    this.creating--
    this.failures++
    this.lastError = error
    if (createChannel.hasSubscribers) createChannel.publish({ pool: this.o.pool, error })
    this.outcome.failed(error)
  }

  /**
   * Runs `then` after an exponential backoff with jitter (unless a retry is already scheduled).
   * `keepAlive`: a caller waits for it, so the timer holds the process open; else it is unref'd.
   */
  scheduleRetry(keepAlive: boolean, then: () => void): void {
    if (this.retryTimer !== null) return
    const base = Math.min(
      this.o.retryMaxDelay,
      this.o.retryInitialDelay * 2 ** Math.min(this.failures - 1, 20),
    )
    const delay = base / 2 + (Math.random() * base) / 2
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      then()
    }, delay)
    if (!keepAlive) this.retryTimer.unref()
  }

  /** Cancels a scheduled retry (pool close). */
  stop(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer)
    this.retryTimer = null
  }

  /** The creates still in flight, settled (each succeeded, failed, or timed out). */
  inFlightSettled(): Promise<unknown> | undefined {
    return this.inFlight.size === 0 ? undefined : Promise.all([...this.inFlight])
  }
}
