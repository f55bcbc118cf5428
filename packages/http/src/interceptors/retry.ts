// Retry policy: idempotent requests are retried on connection faults, timeouts, truncated bodies and the
// retryable statuses, after a backoff (or Retry-After). Outside the cache and the breaker: each attempt is judged
// there. While a retry is still possible an attempt's response is held back (buffered), so the handlers
// further out see one request and one response, whatever the attempts.
import { type Clock, isHotpathError, optionChecks } from '@hotpath/core'
import { retryChannel } from '../channels.ts'
import { type ClientDispatchOptions, kCollector } from '../collector.ts'
import { type HttpError, toUpstreamError } from '../errors.ts'
import type { RetryOptions } from '../options.ts'
import type { ResponseHeaders } from '../response.ts'
import { backoffDelay, isRetryableError, isRetryableMethod, parseRetryAfter } from '../retry.ts'
import type { Controller, Dispatch, Handler } from './forward.ts'
import { originOf } from './forward.ts'

const check = optionChecks('HOTPATH_HTTP_INVALID_OPTION')
const RETRY_KEYS: readonly string[] = [
  'retries',
  'minDelay',
  'maxDelay',
  'maxRetryAfter',
  'statusCodes',
  'withIdempotencyKey',
]

export interface RetryInterceptorOptions {
  retry?: RetryOptions | false
  client: string
  clock: Clock
  /** Aborted when the client closes: a retry wait ends and the last outcome stands. */
  closing: AbortSignal
  /** Called before each retry wait. */
  onRetry?: () => void
}

interface Settings extends Required<RetryOptions> {
  statuses: ReadonlySet<number>
  client: string
  clock: Clock
  closing: AbortSignal
  onRetry: (() => void) | undefined
}

function resolveRetry(value: unknown): Required<RetryOptions> | false {
  if (value === false) return false
  const r =
    value === undefined ? {} : (check.object('retry', value) ?? check.fail('retry', value, 'an object'))
  for (const key of Object.keys(r)) {
    if (!RETRY_KEYS.includes(key))
      check.fail(`retry.${key}`, r[key], `no such option (known: ${RETRY_KEYS.join(', ')})`)
  }
  const statusCodes = r.statusCodes ?? [408, 429, 500, 502, 503, 504]
  if (!Array.isArray(statusCodes) || statusCodes.some((s) => !Number.isInteger(s) || s < 100 || s > 599)) {
    check.fail('retry.statusCodes', r.statusCodes, 'an array of HTTP status codes (100-599)')
  }
  const minDelay = check.integer('retry.minDelay', r.minDelay, 100, 0)
  return {
    retries: check.integer('retry.retries', r.retries, 2, 0, 100),
    minDelay,
    maxDelay: check.integer('retry.maxDelay', r.maxDelay, Math.max(5_000, minDelay), minDelay),
    maxRetryAfter: check.integer('retry.maxRetryAfter', r.maxRetryAfter, 30_000, 0),
    statusCodes: statusCodes as number[],
    withIdempotencyKey: check.boolean('retry.withIdempotencyKey', r.withIdempotencyKey, false),
  }
}

/** The retry policy, or undefined with `retry: false`. Validates its options once, here. */
export function retryInterceptor(
  options: RetryInterceptorOptions,
): ((dispatch: Dispatch) => Dispatch) | undefined {
  const r = resolveRetry(options.retry)
  if (r === false) return undefined
  const s: Settings = {
    ...r,
    statuses: new Set(r.statusCodes),
    client: options.client,
    clock: options.clock,
    closing: options.closing,
    onRetry: options.onRetry,
  }
  return (dispatch) =>
    function retry(opts: ClientDispatchOptions, handler) {
      if (!isRetryableMethod(opts.method, opts.headers as never, s.withIdempotencyKey))
        return dispatch(opts, handler)
      const max = opts[kCollector]?.req.retries ?? s.retries
      if (max === 0) return dispatch(opts, handler)
      new RetryRun(dispatch, opts, handler, max, s).attempt()
      return true
    }
}

/**
 * One request under the retry policy: the handler of each attempt, and the controller the handlers further out
 * hold for the whole request (abort reaches the current attempt, or ends a retry wait).
 */
class RetryRun implements Handler, Controller {
  readonly #dispatch: Dispatch
  readonly #opts: ClientDispatchOptions
  readonly #next: Handler
  readonly #max: number
  readonly #s: Settings
  #attempt = 0
  /** onRequestStart went out (once, for the first attempt). */
  #started = false
  #current: Controller | undefined = undefined
  /** This attempt's response is held back (a retry is still possible). */
  #holding = false
  /** Delay before the next attempt when the held response is a retryable status, else -1. */
  #retryAfterEnd = -1
  #status = 0
  #headers: ResponseHeaders | undefined = undefined
  #message: string | undefined = undefined
  #first: Buffer | undefined = undefined
  #chunks: Buffer[] | undefined = undefined
  #timer: NodeJS.Timeout | undefined = undefined
  #onClose: (() => void) | undefined = undefined
  #abortReason: Error | null = null
  rawHeaders: Buffer[] = []
  rawTrailers: Buffer[] = []

  constructor(dispatch: Dispatch, opts: ClientDispatchOptions, next: Handler, max: number, s: Settings) {
    this.#dispatch = dispatch
    this.#opts = opts
    this.#next = next
    this.#max = max
    this.#s = s
  }

  attempt(): void {
    this.#holding = this.#attempt < this.#max
    this.#retryAfterEnd = -1
    this.#status = 0
    this.#headers = undefined
    this.#first = undefined
    this.#chunks = undefined
    try {
      this.#dispatch(this.#opts, this)
    } catch (error) {
      this.onResponseError(null as never, error as Error)
    }
  }

  // --- controller, as the handlers further out see it

  get aborted(): boolean {
    return this.#abortReason !== null
  }

  get reason(): Error | null {
    return this.#abortReason
  }

  get paused(): boolean {
    return this.#current?.paused ?? false
  }

  pause(): void {
    this.#current?.pause()
  }

  resume(): void {
    this.#current?.resume()
  }

  abort(reason: Error): void {
    if (this.#abortReason !== null) return
    this.#abortReason = reason
    if (this.#timer !== undefined) {
      // in a retry wait: the request ends now, with the caller's reason
      this.#stopWait()
      this.#next.onResponseError?.(this, reason)
      return
    }
    this.#current?.abort(reason)
  }

  // --- handler of each attempt

  onRequestStart(controller: Controller, context: unknown): void {
    this.#current = controller
    if (this.#abortReason !== null) {
      controller.abort(this.#abortReason)
      return
    }
    if (!this.#started) {
      this.#started = true
      this.#next.onRequestStart?.(this, context)
    }
  }

  onRequestUpgrade(
    _controller: Controller,
    statusCode: number,
    headers: ResponseHeaders,
    socket: never,
  ): void {
    this.#next.onRequestUpgrade?.(this, statusCode, headers as never, socket)
  }

  onResponseStart(
    _controller: Controller,
    statusCode: number,
    headers: ResponseHeaders,
    message?: string,
  ): void {
    this.#status = statusCode
    if (this.#holding) {
      const s = this.#s
      if (s.statuses.has(statusCode) && !s.closing.aborted) {
        const after = parseRetryAfter(headers['retry-after'], s.clock.epoch())
        if (after === undefined || after <= s.maxRetryAfter)
          this.#retryAfterEnd = after ?? backoffDelay(this.#attempt, s.minDelay, s.maxDelay)
      }
      this.#headers = headers
      this.#message = message
      return
    }
    this.#next.onResponseStart?.(this, statusCode, headers as never, message)
  }

  onResponseData(_controller: Controller, chunk: Buffer): void {
    if (!this.#holding) {
      this.#next.onResponseData?.(this, chunk)
    } else if (this.#first === undefined) {
      this.#first = chunk
    } else if (this.#chunks === undefined) {
      this.#chunks = [this.#first, chunk]
    } else {
      this.#chunks.push(chunk)
    }
  }

  onResponseEnd(_controller: Controller, trailers: ResponseHeaders): void {
    if (!this.#holding) {
      this.#next.onResponseEnd?.(this, trailers as never)
      return
    }
    if (this.#retryAfterEnd >= 0 && this.#abortReason === null) {
      this.#wait(this.#retryAfterEnd, `status ${this.#status}`, () => this.#replay(trailers))
      return
    }
    this.#replay(trailers)
  }

  onResponseError(_controller: Controller | null, error: Error): void {
    const e = toUpstreamError(error, this.#opts.method, originOf(this.#opts), this.#status !== 0)
    if (
      this.#attempt < this.#max &&
      this.#abortReason === null &&
      !this.#s.closing.aborted &&
      isRetryableError(e.code)
    ) {
      const s = this.#s
      this.#wait(backoffDelay(this.#attempt, s.minDelay, s.maxDelay), e.code, () => this.#fail(e))
      return
    }
    this.#fail(e)
  }

  /** Ends the request with `error`, or with the caller's abort when that came first (and is not the cause). */
  #fail(error: HttpError): void {
    const reason = this.#abortReason
    this.#next.onResponseError?.(
      this,
      reason !== null && error.code !== 'HOTPATH_HTTP_ABORTED' && isHotpathError(reason) ? reason : error,
    )
  }

  /** Hands the held response on, as if it had just arrived. */
  #replay(trailers: ResponseHeaders): void {
    const next = this.#next
    next.onResponseStart?.(this, this.#status, this.#headers as never, this.#message)
    if (this.#chunks !== undefined) for (const chunk of this.#chunks) next.onResponseData?.(this, chunk)
    else if (this.#first !== undefined) next.onResponseData?.(this, this.#first)
    this.#first = undefined
    this.#chunks = undefined
    next.onResponseEnd?.(this, trailers as never)
  }

  /** Waits `delayMs`, then makes the next attempt; `onCut` ends the request when the client closes meanwhile. */
  #wait(delayMs: number, reason: string, onCut: () => void): void {
    const s = this.#s
    s.onRetry?.()
    if (retryChannel.hasSubscribers) {
      retryChannel.publish({
        client: s.client,
        method: this.#opts.method,
        origin: originOf(this.#opts),
        attempt: this.#attempt + 1,
        delayMs,
        reason,
      })
    }
    // the caller's abort must be able to end the wait: its listener is set in the first onRequestStart
    if (!this.#started) {
      this.#started = true
      this.#next.onRequestStart?.(this, null)
      if (this.#abortReason !== null) {
        // the signal was already aborted: the request ends here
        this.#next.onResponseError?.(this, this.#abortReason)
        return
      }
    }
    this.#current = undefined
    this.#onClose = () => {
      this.#stopWait()
      onCut()
    }
    s.closing.addEventListener('abort', this.#onClose, { once: true })
    // ref'd on purpose: the caller awaits the request (close() ends the wait)
    this.#timer = setTimeout(() => {
      this.#stopWait()
      this.#attempt++
      const collector = this.#opts[kCollector]
      if (collector !== undefined) collector.retries = this.#attempt
      this.attempt()
    }, delayMs)
  }

  #stopWait(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.#onClose !== undefined) this.#s.closing.removeEventListener('abort', this.#onClose)
    this.#onClose = undefined
  }
}
