// Coded errors of @hotpath/http. Every error carries a stable `code` and, for upstream faults, the `cause`.

export type HttpErrorCode =
  | 'HOTPATH_HTTP_INVALID_OPTION'
  | 'HOTPATH_HTTP_INVALID_URL'
  | 'HOTPATH_HTTP_UNSUPPORTED_PROTOCOL'
  | 'HOTPATH_HTTP_INVALID_REQUEST'
  | 'HOTPATH_HTTP_BODY_NOT_ALLOWED'
  | 'HOTPATH_HTTP_CLOSED'
  | 'HOTPATH_HTTP_ABORTED'
  | 'HOTPATH_HTTP_CONNECT_TIMEOUT'
  | 'HOTPATH_HTTP_HEADERS_TIMEOUT'
  | 'HOTPATH_HTTP_BODY_TIMEOUT'
  | 'HOTPATH_HTTP_CONNECTION_FAILED'
  | 'HOTPATH_HTTP_CONNECTION_RESET'
  | 'HOTPATH_HTTP_TRUNCATED_BODY'
  | 'HOTPATH_HTTP_RESPONSE_TOO_LARGE'
  | 'HOTPATH_HTTP_INVALID_JSON'
  | 'HOTPATH_HTTP_CIRCUIT_OPEN'
  | 'HOTPATH_HTTP_RATE_LIMIT_QUEUE_FULL'
  | 'HOTPATH_HTTP_RATE_LIMIT_TIMEOUT'
  | 'HOTPATH_HTTP_QUEUE_TIMEOUT'
  | 'HOTPATH_HTTP_REQUEST_FAILED'

export interface HotpathErrorOptions {
  cause?: unknown
  details?: Record<string, unknown>
}

/** `Symbol.for('hotpath.error')`: set to true on every hotpath error, whichever package threw it. */
export const kHotpathError: unique symbol = Symbol.for('hotpath.error')

/** Base class of every error thrown by hotpath packages; recognise it with `Symbol.for('hotpath.error')`. */
export interface HotpathError {
  readonly [kHotpathError]: true
}
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the marker is declared on the interface (isolatedDeclarations) and set in the constructor
export class HotpathError extends Error {
  readonly code: string
  readonly details: Record<string, unknown> | undefined

  constructor(code: string, message: string, options?: HotpathErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'HotpathError'
    ;(this as { [kHotpathError]: true })[kHotpathError] = true
    this.code = code
    this.details = options?.details
  }
}

/** Any error of @hotpath/http. */
export class HttpError extends HotpathError {
  declare readonly code: HttpErrorCode
  constructor(code: HttpErrorCode, message: string, options?: HotpathErrorOptions) {
    super(code, message, options)
    this.name = 'HttpError'
  }
}

/** A bad option at construction: names the option, the value received and what is allowed. */
export class InvalidOptionError extends HttpError {
  constructor(option: string, value: unknown, allowed: string) {
    super(
      'HOTPATH_HTTP_INVALID_OPTION',
      `invalid option ${option}: received ${describe(value)}, expected ${allowed}`,
      {
        details: { option, value },
      },
    )
    this.name = 'InvalidOptionError'
  }
}

/** A request that can never be sent (bad URL, protocol, body on GET, ...). */
export class InvalidRequestError extends HttpError {
  constructor(code: HttpErrorCode, message: string, options?: HotpathErrorOptions) {
    super(code, message, options)
    this.name = 'InvalidRequestError'
  }
}

/** The client was closed. */
export class ClosedError extends HttpError {
  constructor() {
    super('HOTPATH_HTTP_CLOSED', 'the HTTP client is closed')
    this.name = 'ClosedError'
  }
}

/** An upstream fault: timeout, reset, truncated body, ... `cause` is undici's error. */
export class UpstreamError extends HttpError {
  constructor(code: HttpErrorCode, message: string, options?: HotpathErrorOptions) {
    super(code, message, options)
    this.name = 'UpstreamError'
  }
}

/** The per-origin circuit breaker is open: the request was not sent. */
export class CircuitOpenError extends HttpError {
  constructor(origin: string, retryInMs: number) {
    super(
      'HOTPATH_HTTP_CIRCUIT_OPEN',
      `circuit breaker for ${origin} is open; next probe in ${Math.max(0, Math.round(retryInMs))} ms`,
      {
        details: { origin, retryInMs },
      },
    )
    this.name = 'CircuitOpenError'
  }
}

/** The rate limiter's queue is full or the wait exceeded its deadline. */
export class RateLimitError extends HttpError {
  constructor(
    code: 'HOTPATH_HTTP_RATE_LIMIT_QUEUE_FULL' | 'HOTPATH_HTTP_RATE_LIMIT_TIMEOUT',
    message: string,
    origin: string,
  ) {
    super(code, message, { details: { origin } })
    this.name = 'RateLimitError'
  }
}

/** `json()` on a body that is not valid JSON. */
export class InvalidJsonError extends HttpError {
  constructor(cause: unknown, statusCode: number) {
    super('HOTPATH_HTTP_INVALID_JSON', `response body (status ${statusCode}) is not valid JSON`, {
      cause,
      details: { statusCode },
    })
    this.name = 'InvalidJsonError'
  }
}

export function isHotpathError(error: unknown): error is HotpathError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as Record<symbol, unknown>)[Symbol.for('hotpath.error')] === true
  )
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  if (value === null || typeof value !== 'object') return String(value)
  try {
    return JSON.stringify(value)
  } catch {
    return Object.prototype.toString.call(value)
  }
}

/** Maps an undici/Node error to a coded UpstreamError (keeps the original as `cause`). */
export function toUpstreamError(
  error: unknown,
  method: string,
  origin: string,
  headersReceived: boolean,
): HttpError {
  if (isHotpathError(error)) return error as HttpError
  const code = (error as { code?: unknown } | null)?.code
  const where = `${method} ${origin}`
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new UpstreamError('HOTPATH_HTTP_CONNECT_TIMEOUT', `${where}: connect timed out`, {
        cause: error,
      })
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new UpstreamError(
        'HOTPATH_HTTP_HEADERS_TIMEOUT',
        `${where}: no response headers before headersTimeout`,
        { cause: error },
      )
    case 'UND_ERR_BODY_TIMEOUT':
      return new UpstreamError(
        'HOTPATH_HTTP_BODY_TIMEOUT',
        `${where}: response body stalled longer than bodyTimeout`,
        { cause: error },
      )
    case 'UND_ERR_ABORTED':
    case 'UND_ERR_ABORT':
    case 'ABORT_ERR':
      return new UpstreamError('HOTPATH_HTTP_ABORTED', `${where}: request aborted`, { cause: error })
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return new UpstreamError(
        'HOTPATH_HTTP_TRUNCATED_BODY',
        `${where}: response body shorter than its content-length`,
        { cause: error },
      )
    case 'UND_ERR_RES_EXCEEDED_MAX_SIZE':
      return new UpstreamError(
        'HOTPATH_HTTP_RESPONSE_TOO_LARGE',
        `${where}: response body exceeds maxResponseSize`,
        { cause: error },
      )
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new UpstreamError(
        'HOTPATH_HTTP_CONNECTION_FAILED',
        `${where}: cannot connect (${String(code)})`,
        { cause: error },
      )
    case 'UND_ERR_INVALID_ARG':
      return new InvalidRequestError(
        'HOTPATH_HTTP_INVALID_REQUEST',
        `${where}: ${(error as Error).message}`,
        { cause: error },
      )
    case 'UND_ERR_SOCKET':
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_CLOSED':
    case 'UND_ERR_DESTROYED':
      if (headersReceived) {
        return new UpstreamError(
          'HOTPATH_HTTP_TRUNCATED_BODY',
          `${where}: connection closed before the body ended`,
          { cause: error },
        )
      }
      return new UpstreamError('HOTPATH_HTTP_CONNECTION_RESET', `${where}: connection reset by the server`, {
        cause: error,
      })
    default:
      return new UpstreamError(
        'HOTPATH_HTTP_REQUEST_FAILED',
        `${where}: ${(error as Error)?.message ?? String(error)}`,
        { cause: error },
      )
  }
}
