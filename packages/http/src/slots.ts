// Overall cap on requests in flight (all origins): a counter, and a FIFO of waiters with a deadline when full.
import { HttpError } from './errors.ts'

interface Waiter {
  resolve: () => void
  reject: (error: Error) => void
  timer: NodeJS.Timeout
}

export class Slots {
  active = 0
  readonly #max: number
  readonly #timeout: number
  readonly #queue: Waiter[] = []

  constructor(max: number, timeout: number) {
    this.#max = max
    this.#timeout = timeout
  }

  /** Takes a slot now; false when the caller must `wait()`. */
  tryAcquire(): boolean {
    if (this.active >= this.#max) return false
    this.active++
    return true
  }

  /** Resolves when a released slot is handed over; rejects after the queue timeout. */
  wait(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.#queue.indexOf(waiter)
          if (i !== -1) this.#queue.splice(i, 1)
          reject(
            new HttpError(
              'HOTPATH_HTTP_QUEUE_TIMEOUT',
              `no free slot under maxInFlight within queueTimeout (${this.#timeout} ms)`,
            ),
          )
        }, this.#timeout),
      }
      waiter.timer.unref()
      this.#queue.push(waiter)
    })
  }

  release(): void {
    const next = this.#queue.shift()
    if (next === undefined) {
      this.active--
      return
    }
    clearTimeout(next.timer) // the slot passes to the next waiter: `active` stays the same
    next.resolve()
  }

  close(error: Error): void {
    for (const waiter of this.#queue.splice(0)) {
      clearTimeout(waiter.timer)
      waiter.reject(error)
    }
  }
}
