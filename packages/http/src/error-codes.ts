// Every error code @hotpath/http can throw: code -> when it is thrown. The README's `## Errors` table is
// checked against this registry both ways (test/errors.test.ts).
import type { ErrorRegistry } from '@hotpath/core'

export const errorCodes: {
  readonly HOTPATH_HTTP_INVALID_OPTION: string
  readonly HOTPATH_HTTP_INVALID_URL: string
  readonly HOTPATH_HTTP_UNSUPPORTED_PROTOCOL: string
  readonly HOTPATH_HTTP_INVALID_REQUEST: string
  readonly HOTPATH_HTTP_BODY_NOT_ALLOWED: string
  readonly HOTPATH_HTTP_CLOSED: string
  readonly HOTPATH_HTTP_ABORTED: string
  readonly HOTPATH_HTTP_CONNECT_TIMEOUT: string
  readonly HOTPATH_HTTP_HEADERS_TIMEOUT: string
  readonly HOTPATH_HTTP_BODY_TIMEOUT: string
  readonly HOTPATH_HTTP_CONNECTION_FAILED: string
  readonly HOTPATH_HTTP_CONNECTION_RESET: string
  readonly HOTPATH_HTTP_TRUNCATED_BODY: string
  readonly HOTPATH_HTTP_RESPONSE_TOO_LARGE: string
  readonly HOTPATH_HTTP_INVALID_JSON: string
  readonly HOTPATH_HTTP_CIRCUIT_OPEN: string
  readonly HOTPATH_HTTP_RATE_LIMIT_QUEUE_FULL: string
  readonly HOTPATH_HTTP_RATE_LIMIT_TIMEOUT: string
  readonly HOTPATH_HTTP_QUEUE_TIMEOUT: string
  readonly HOTPATH_HTTP_REQUEST_FAILED: string
} = {
  HOTPATH_HTTP_INVALID_OPTION:
    'a bad option of createHttpClient, createUndiciCacheStore or batch() (names option, value, what is allowed)',
  HOTPATH_HTTP_INVALID_URL: "an unparsable URL, or a path without the client's `origin`",
  HOTPATH_HTTP_UNSUPPORTED_PROTOCOL: 'a URL whose protocol is not http: or https:',
  HOTPATH_HTTP_INVALID_REQUEST:
    'a bad method, headers, timeout, body, json or retry of one request; undici rejected the request',
  HOTPATH_HTTP_BODY_NOT_ALLOWED: 'a body (or json) on a GET or HEAD request',
  HOTPATH_HTTP_CLOSED: 'work given to a closed client (request, batch, invalidate, invalidateTags)',
  HOTPATH_HTTP_ABORTED: "the request's `signal` aborted (also during a retry wait)",
  HOTPATH_HTTP_CONNECT_TIMEOUT: 'no connection within `connectTimeout`',
  HOTPATH_HTTP_HEADERS_TIMEOUT: 'no response headers within `headersTimeout`',
  HOTPATH_HTTP_BODY_TIMEOUT: 'a gap between body chunks longer than `bodyTimeout`',
  HOTPATH_HTTP_CONNECTION_FAILED: 'connection refused, DNS failure, host or network unreachable',
  HOTPATH_HTTP_CONNECTION_RESET: 'the socket closed before the response headers arrived',
  HOTPATH_HTTP_TRUNCATED_BODY: 'the connection ended before the body did (content-length not reached)',
  HOTPATH_HTTP_RESPONSE_TOO_LARGE: 'a response body over `maxResponseSize`',
  HOTPATH_HTTP_INVALID_JSON: '`json()` on a body that is not JSON (cause: the SyntaxError)',
  HOTPATH_HTTP_CIRCUIT_OPEN: "the origin's circuit breaker is open (the request was not sent)",
  HOTPATH_HTTP_RATE_LIMIT_QUEUE_FULL: "the origin's rate-limit queue already holds `maxQueue` requests",
  HOTPATH_HTTP_RATE_LIMIT_TIMEOUT: 'a wait for a rate-limit token longer than `maxWait`',
  HOTPATH_HTTP_QUEUE_TIMEOUT: 'no free slot under `maxInFlight` within `queueTimeout`',
  HOTPATH_HTTP_REQUEST_FAILED: 'any other upstream failure (cause: the original error)',
} satisfies ErrorRegistry
