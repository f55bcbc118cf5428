// The innermost handler of a request (undici calls it last): buffers the response and settles the request's one
// promise with what `respond` makes of it. It is also the request's context: it rides on the dispatch options
// (kCollector) through the interceptors, which read the request from it and note what they did on it.
// One object per request, no closures per chunk: this is the hot path of every uncached request.
import type { Dispatcher } from 'undici'
import { UpstreamError } from './errors.ts'
import type { Prepared } from './prepare.ts'
import type { HttpResponse, ResponseHeaders } from './response.ts'

/** The collector of a request, carried on the dispatch options through undici's interceptors. */
export const kCollector: unique symbol = Symbol('hotpath.http.collector')
/** Authorization header held back from undici's cache interceptor (credential partitions), restored before sending. */
export const kAuthorization: unique symbol = Symbol('hotpath.http.authorization')
/** Request header naming the credential partition while a request passes the cache interceptor; never sent. */
export const PARTITION_HEADER = 'x-hotpath-cache-partition'

/** Dispatch options as the interceptors of a client see them. */
export type ClientDispatchOptions = Dispatcher.DispatchOptions & {
  [kCollector]?: Collector
  [kAuthorization]?: string | string[]
}

/** The request as the cache interceptor saw it (before a credential partition), for a 304 refresh and the outcome. */
export interface ObservedRequest {
  origin: string
  method: string
  path: string
  headers: Record<string, string | string[] | undefined> | undefined
}

/** Turns a settled collector into the response (or throws the coded error the request rejects with). */
export type Respond = (collector: Collector) => HttpResponse

export class Collector implements Dispatcher.DispatchHandler {
  readonly req: Prepared
  /** Canonical origin of the request. */
  readonly origin: string
  /** clock.now() when the request started (0 when nobody listens to the request channel). */
  readonly start: number
  statusCode = 0
  headers: ResponseHeaders | undefined = undefined
  /** Status the origin answered with, when the request reached it (set by the observer interceptor). */
  originStatus = 0
  /** Headers object the origin's response came with (the observer saw it); a cached response has another one. */
  originHeaders: ResponseHeaders | undefined = undefined
  /** An origin failure the cache answered over (stale-if-error). */
  originError: Error | undefined = undefined
  /** Set by the cache interceptor when the request went through it. */
  request: ObservedRequest | undefined = undefined
  /** Retries the retry interceptor made. */
  retries = 0
  headersReceived = false
  error: Error | undefined = undefined
  body: Buffer | undefined = undefined
  readonly promise: Promise<HttpResponse>
  #chunks: Buffer[] | undefined = undefined
  #first: Buffer | undefined = undefined
  #controller: Dispatcher.DispatchController | undefined = undefined
  #onAbort: (() => void) | undefined = undefined
  #settled = false
  readonly #respond: Respond
  #resolve!: (response: HttpResponse) => void
  #reject!: (error: Error) => void

  constructor(req: Prepared, origin: string, start: number, respond: Respond) {
    this.req = req
    this.origin = origin
    this.start = start
    this.#respond = respond
    this.promise = new Promise<HttpResponse>((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller
    const signal = this.req.signal
    if (signal !== undefined && this.#onAbort === undefined) {
      if (signal.aborted) {
        controller.abort(abortError(signal, this.req.method, this.origin))
        return
      }
      this.#onAbort = () => this.#controller?.abort(abortError(signal, this.req.method, this.origin))
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
    if (this.#settled) return
    this.#settled = true
    if (this.#onAbort !== undefined) this.req.signal?.removeEventListener('abort', this.#onAbort)
    try {
      this.#resolve(this.#respond(this))
    } catch (error) {
      this.#reject(error as Error)
    }
  }
}

/** The coded error a caller sees when its signal aborts the request (cause: the signal's reason). */
export function abortError(signal: AbortSignal, method: string, origin: string): UpstreamError {
  return new UpstreamError('HOTPATH_HTTP_ABORTED', `${method} ${origin}: request aborted by its signal`, {
    cause: signal.reason,
  })
}
