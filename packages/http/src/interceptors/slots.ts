// maxInFlight policy: a slot per request over all origins, held until the response ended; more wait (FIFO) up to
// queueTimeout. Innermost of the client's policies: a request refused further out never takes a slot.
import { optionChecks } from '@hotpath/core'
import { ClosedError } from '../errors.ts'
import type { ResponseHeaders } from '../response.ts'
import { Slots } from '../slots.ts'
import { type Controller, type Dispatch, Forward, fail, forward, type Handler } from './forward.ts'

const check = optionChecks('HOTPATH_HTTP_INVALID_OPTION')

export interface SlotsInterceptorOptions {
  /** Requests in flight over all origins. Default 100. */
  maxInFlight?: number
  /** Longest wait for a slot in ms. Default 30_000. */
  queueTimeout?: number
  /** Aborted when the client closes: new requests fail with HOTPATH_HTTP_CLOSED. */
  closing: AbortSignal
}

export interface SlotsInterceptor {
  (dispatch: Dispatch): Dispatch
  /** Rejects every waiter (client closing). */
  close(error: Error): void
}

export function slotsInterceptor(options: SlotsInterceptorOptions): SlotsInterceptor {
  const slots = new Slots(
    check.integer('maxInFlight', options.maxInFlight, 100, 1),
    check.integer('queueTimeout', options.queueTimeout, 30_000, 1),
  )
  const closing = options.closing
  const interceptor = (dispatch: Dispatch): Dispatch =>
    function inFlight(opts, handler) {
      if (closing.aborted) return fail(handler, new ClosedError())
      if (slots.tryAcquire()) return forward(dispatch, opts, new SlotHandler(handler, slots))
      slots.wait().then(
        () => {
          if (closing.aborted) {
            slots.release()
            fail(handler, new ClosedError())
          } else forward(dispatch, opts, new SlotHandler(handler, slots))
        },
        (error: Error) => fail(handler, error),
      )
      return true
    }
  return Object.assign(interceptor, { close: (error: Error) => slots.close(error) })
}

class SlotHandler extends Forward {
  readonly #slots: Slots
  #held = true

  constructor(next: Handler, slots: Slots) {
    super(next)
    this.#slots = slots
  }

  #release(): void {
    if (!this.#held) return
    this.#held = false
    this.#slots.release()
  }

  override onResponseEnd(controller: Controller, trailers: ResponseHeaders): void {
    this.#release()
    super.onResponseEnd(controller, trailers)
  }

  override onResponseError(controller: Controller, error: Error): void {
    this.#release()
    super.onResponseError(controller, error)
  }
}
