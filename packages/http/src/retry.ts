// Retry policy: which failures are retried and how long to wait (exponential backoff with full jitter, Retry-After).
import type { HttpErrorCode } from './errors.ts'

const RETRYABLE_ERRORS: ReadonlySet<string> = new Set<HttpErrorCode>([
  'HOTPATH_HTTP_CONNECTION_RESET',
  'HOTPATH_HTTP_CONNECTION_FAILED',
  'HOTPATH_HTTP_CONNECT_TIMEOUT',
  'HOTPATH_HTTP_HEADERS_TIMEOUT',
  'HOTPATH_HTTP_BODY_TIMEOUT',
  'HOTPATH_HTTP_TRUNCATED_BODY',
])

export function isRetryableError(code: string): boolean {
  return RETRYABLE_ERRORS.has(code)
}

/** Idempotent methods are retried; POST/PATCH only with an Idempotency-Key header and the user's opt-in. */
export function isRetryableMethod(
  method: string,
  headers: Record<string, string | string[] | undefined> | undefined,
  withIdempotencyKey: boolean,
): boolean {
  // a switch, not a Set: this runs on every request
  switch (method) {
    case 'GET':
    case 'HEAD':
    case 'OPTIONS':
    case 'PUT':
    case 'DELETE':
    case 'TRACE':
    case 'QUERY':
      return true
  }
  return withIdempotencyKey && headers !== undefined && headers['idempotency-key'] !== undefined
}

/** Backoff before retry number `attempt + 1`: random in [delay/2, delay], delay = min(max, min * 2^attempt). */
export function backoffDelay(attempt: number, minDelay: number, maxDelay: number): number {
  const ceiling = Math.min(maxDelay, minDelay * 2 ** attempt)
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2))
}

/**
 * Waits `ms` (global setTimeout, so fake timers drive it); resolves false when `signal` aborts first.
 * The timer is ref'd on purpose: the caller awaits the request (close() aborts the wait).
 */
export function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false)
  return new Promise<boolean>((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      resolve(false)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve(true)
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/** Milliseconds a `Retry-After` header asks for (seconds or an HTTP date); undefined when absent or invalid. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  if (value === undefined) return undefined
  const v = (Array.isArray(value) ? value[0] : value)?.trim()
  if (v === undefined || v === '') return undefined
  if (/^\d+$/.test(v)) return Number(v) * 1000
  const date = Date.parse(v)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - now)
}
