// Base of the policy handlers: forwards every DispatchHandler call to the next handler (undici's
// DecoratorHandler shape, without its per-call guards). Subclasses override what they watch.
import type { Dispatcher } from 'undici'
import type { ResponseHeaders } from '../response.ts'

export type Handler = Dispatcher.DispatchHandler
export type Controller = Dispatcher.DispatchController
export type Dispatch = (opts: Dispatcher.DispatchOptions, handler: Handler) => boolean
/** undici's interceptor shape: `dispatch => (opts, handler) => boolean`. */
export type Interceptor = Dispatcher.DispatcherComposeInterceptor

export class Forward implements Handler {
  readonly next: Handler

  constructor(next: Handler) {
    this.next = next
  }

  onRequestStart(controller: Controller, context: unknown): void {
    this.next.onRequestStart?.(controller, context)
  }

  onRequestUpgrade(
    controller: Controller,
    statusCode: number,
    headers: ResponseHeaders,
    socket: never,
  ): void {
    this.next.onRequestUpgrade?.(controller, statusCode, headers as never, socket)
  }

  onResponseStart(
    controller: Controller,
    statusCode: number,
    headers: ResponseHeaders,
    statusMessage?: string,
  ): void {
    this.next.onResponseStart?.(controller, statusCode, headers as never, statusMessage)
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    this.next.onResponseData?.(controller, chunk)
  }

  onResponseEnd(controller: Controller, trailers: ResponseHeaders): void {
    this.next.onResponseEnd?.(controller, trailers as never)
  }

  onResponseError(controller: Controller, error: Error): void {
    this.next.onResponseError?.(controller, error)
  }
}

/** A Forward that remembers the response's status code (0 until a response started). */
export class StatusForward extends Forward {
  status = 0

  override onResponseStart(
    controller: Controller,
    statusCode: number,
    headers: ResponseHeaders,
    statusMessage?: string,
  ): void {
    this.status = statusCode
    super.onResponseStart(controller, statusCode, headers, statusMessage)
  }
}

/** Fails a request that never reached the next dispatch (a policy refused it). */
export function fail(handler: Handler, error: Error): true {
  handler.onResponseError?.(null as never, error)
  return true
}

/** Dispatches; a synchronous throw becomes the handler's error, so every layer hears how the request ended. */
export function forward(dispatch: Dispatch, opts: Dispatcher.DispatchOptions, handler: Handler): boolean {
  try {
    return dispatch(opts, handler)
  } catch (error) {
    return fail(handler, error as Error)
  }
}

/** The canonical origin string of a dispatch (the client always passes one; a user interceptor may pass a URL). */
export function originOf(opts: Dispatcher.DispatchOptions): string {
  const o = opts.origin
  return typeof o === 'string' ? o : o instanceof URL ? o.origin : String(o)
}
