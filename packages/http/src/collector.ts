// A minimal undici DispatchHandler that buffers the response and settles one promise.
// One object per attempt, no closures per chunk: this is the hot path of every uncached request.
import type { Dispatcher } from 'undici'
import { UpstreamError } from './errors.ts'
import type { ResponseHeaders } from './response.ts'

/** The collector of a request, carried on the dispatch options through undici's interceptors. */
export const kCollector: unique symbol = Symbol('hotpath.http.collector')
/** Authorization header held back from undici's cache interceptor (credential partitions), restored before sending. */
export const kAuthorization: unique symbol = Symbol('hotpath.http.authorization')
/** The open breaker's error: set when a request may only be answered by the cache (the observer refuses to send it). */
export const kBlocked: unique symbol = Symbol('hotpath.http.blocked')
/** Request header naming the credential partition while a request passes the cache interceptor; never sent. */
export const PARTITION_HEADER = 'x-hotpath-cache-partition'

export class Collector implements Dispatcher.DispatchHandler {
  statusCode = 0
  headers: ResponseHeaders | undefined = undefined
  /** Status the origin answered with, when the request reached it (set by the observer interceptor). */
  originStatus = 0
  /** Headers object the origin's response came with (the observer saw it); a cached response has another one. */
  originHeaders: ResponseHeaders | undefined = undefined
  /** Error code of an origin failure the cache answered over (stale-if-error), for the breaker. */
  originError: Error | undefined = undefined
  headersReceived = false
  error: Error | undefined = undefined
  body: Buffer | undefined = undefined
  #chunks: Buffer[] | undefined = undefined
  #first: Buffer | undefined = undefined
  #controller: Dispatcher.DispatchController | undefined = undefined
  #signal: AbortSignal | undefined
  // method and origin of the request, for the abort error's message
  readonly #method: string
  readonly #origin: string
  #onAbort: (() => void) | undefined = undefined
  #resolve!: (collector: Collector) => void
  readonly promise: Promise<Collector>

  constructor(signal: AbortSignal | undefined, method: string, origin: string) {
    this.#signal = signal
    this.#method = method
    this.#origin = origin
    this.promise = new Promise<Collector>((resolve) => {
      this.#resolve = resolve
    })
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller
    const signal = this.#signal
    if (signal !== undefined && this.#onAbort === undefined) {
      if (signal.aborted) {
        controller.abort(abortError(signal, this.#method, this.#origin))
        return
      }
      this.#onAbort = () => this.#controller?.abort(abortError(signal, this.#method, this.#origin))
      signal.addEventListener('abort', this.#onAbort, { once: true })
    }
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: ResponseHeaders,
  ): void {
    this.statusCode = statusCode
    this.headers = headers
    this.headersReceived = true
    this.#first = undefined
    this.#chunks = undefined
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#first === undefined) {
      this.#first = chunk
    } else if (this.#chunks === undefined) {
      this.#chunks = [this.#first, chunk]
    } else {
      this.#chunks.push(chunk)
    }
  }

  onResponseEnd(): void {
    this.body = this.#chunks !== undefined ? Buffer.concat(this.#chunks) : this.#first
    this.#chunks = undefined
    this.#first = undefined
    this.#settle()
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
    this.error = error
    this.#chunks = undefined
    this.#first = undefined
    this.#settle()
  }

  #settle(): void {
    if (this.#onAbort !== undefined) this.#signal?.removeEventListener('abort', this.#onAbort)
    this.#resolve(this)
  }
}

/** The coded error a caller sees when its signal aborts the request (cause: the signal's reason). */
function abortError(signal: AbortSignal, method: string, origin: string): UpstreamError {
  return new UpstreamError('HOTPATH_HTTP_ABORTED', `${method} ${origin}: request aborted by its signal`, {
    cause: signal.reason,
  })
}
