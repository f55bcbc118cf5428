// Coded errors of @hotpath/http, on @hotpath/core's one error identity. Every error carries a stable `code`
// (see error-codes.ts) and, for upstream faults, the original error as `cause`.
import {
  type ErrorCodeOf,
  HotpathError,
  type HotpathErrorOptions,
  isHotpathError,
  nameErrorClass,
} from '@hotpath/core'
import type { errorCodes } from './error-codes.ts'

/** Every code @hotpath/http throws. */
export type HttpErrorCode = ErrorCodeOf<typeof errorCodes>

/** Any error of @hotpath/http except a bad option (that one is core's `InvalidOptionError`). */
export class HttpError extends HotpathError {
  declare readonly code: HttpErrorCode
  constructor(code: HttpErrorCode, message: string, options?: HotpathErrorOptions) {
    super(code, message, options)
  }

  static {
    nameErrorClass(HttpError, 'HttpError')
  }
}

/** A request that can never be sent (bad URL, protocol, body on GET, ...). */
export class InvalidRequestError extends HttpError {
  static {
    nameErrorClass(InvalidRequestError, 'InvalidRequestError')
  }
}

/** The client was closed. */
export class ClosedError extends HttpError {
  constructor() {
    super('HOTPATH_HTTP_CLOSED', 'the HTTP client is closed')
  }

  static {
    nameErrorClass(ClosedError, 'ClosedError')
  }
}

/** An upstream fault: timeout, reset, truncated body, ... `cause` is undici's error. */
export class UpstreamError extends HttpError {
  static {
    nameErrorClass(UpstreamError, 'UpstreamError')
  }
}

/** The per-origin circuit breaker is open: the request was not sent. */
export class CircuitOpenError extends HttpError {
  constructor(origin: string, retryInMs: number) {
    super(
      'HOTPATH_HTTP_CIRCUIT_OPEN',
      `circuit breaker for ${origin} is open; next probe in ${Math.max(0, Math.round(retryInMs))} ms`,
      { details: { origin, retryInMs } },
    )
  }

  static {
    nameErrorClass(CircuitOpenError, 'CircuitOpenError')
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
  }

  static {
    nameErrorClass(RateLimitError, 'RateLimitError')
  }
}

/** `json()` on a body that is not valid JSON. */
export class InvalidJsonError extends HttpError {
  constructor(cause: unknown, statusCode: number) {
    super('HOTPATH_HTTP_INVALID_JSON', `response body (status ${statusCode}) is not valid JSON`, {
      cause,
      details: { statusCode },
    })
  }

  static {
    nameErrorClass(InvalidJsonError, 'InvalidJsonError')
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
