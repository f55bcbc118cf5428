// Per-origin token bucket that queues (bounded, with a deadline) instead of failing.
import type { Clock } from '@hotpath/core'
import { RateLimitError } from './errors.ts'

export interface RateLimitOptions {
  /** Tokens added per second. */
  rps: number
  /** Bucket size (requests allowed at once after idle). Default: `rps`. */
  burst?: number
  /** Requests allowed to wait; more fail with HOTPATH_HTTP_RATE_LIMIT_QUEUE_FULL. Default 1000. */
  maxQueue?: number
  /** Longest wait for a token in ms; then HOTPATH_HTTP_RATE_LIMIT_TIMEOUT. Default 30_000. */
  maxWait?: number
}

interface Waiter {
  resolve: (waitMs: number) => void
  reject: (error: Error) => void
  enqueuedAt: number
  deadline: number
}

export class TokenBucket {
  readonly #origin: string
  readonly #rate: number // tokens per ms
  readonly #burst: number
  readonly #maxQueue: number
  readonly #maxWait: number
  readonly #clock: Clock
  #tokens: number
  #last: number
  #queue: Waiter[] = []
  #timer: NodeJS.Timeout | undefined

  constructor(origin: string, options: Required<RateLimitOptions>, clock: Clock) {
    this.#origin = origin
    this.#rate = options.rps / 1000
    this.#burst = options.burst
    this.#maxQueue = options.maxQueue
    this.#maxWait = options.maxWait
    this.#clock = clock
    this.#tokens = options.burst
    this.#last = clock.now()
  }

  get queued(): number {
    return this.#queue.length
  }

  #refill(now: number): void {
    const tokens = this.#tokens + (now - this.#last) * this.#rate
    this.#tokens = Math.min(tokens, this.#burst)
    this.#last = now
  }

  /** Takes a token now (returns true) or says the caller must `wait()`. */
  tryTake(): boolean {
    if (this.#queue.length > 0) return false
    this.#refill(this.#clock.now())
    if (this.#tokens >= 1) {
      this.#tokens -= 1
      return true
    }
    return false
  }

  /** Resolves with the time waited (ms) once a token is available. */
  wait(): Promise<number> {
    if (this.#queue.length >= this.#maxQueue) {
      return Promise.reject(
        new RateLimitError(
          'HOTPATH_HTTP_RATE_LIMIT_QUEUE_FULL',
          `rate limit queue for ${this.#origin} is full (${this.#maxQueue} waiting)`,
          this.#origin,
        ),
      )
    }
    return new Promise<number>((resolve, reject) => {
      const now = this.#clock.now()
      this.#queue.push({ resolve, reject, enqueuedAt: now, deadline: now + this.#maxWait })
      this.#schedule()
    })
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#queue.length === 0) return
    const deficit = 1 - this.#tokens
    const delay = deficit <= 0 ? 0 : Math.ceil(deficit / this.#rate)
    this.#timer = setTimeout(() => this.#drain(), delay)
    // ref'd while requests wait on it (a script awaiting a rate-limited request must not exit); close() clears it
  }

  #drain(): void {
    this.#timer = undefined
    const now = this.#clock.now()
    this.#refill(now)
    while (this.#queue.length > 0) {
      const head = this.#queue[0] as Waiter
      if (head.deadline < now) {
        this.#queue.shift()
        head.reject(
          new RateLimitError(
            'HOTPATH_HTTP_RATE_LIMIT_TIMEOUT',
            `waited more than ${this.#maxWait} ms for a rate limit token for ${this.#origin}`,
            this.#origin,
          ),
        )
        continue
      }
      if (this.#tokens < 1) break
      this.#tokens -= 1
      this.#queue.shift()
      head.resolve(now - head.enqueuedAt)
    }
    this.#schedule()
  }

  /** Rejects every waiter (client closing). */
  close(error: Error): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    const queue = this.#queue
    this.#queue = []
    for (const waiter of queue) waiter.reject(error)
  }
}
