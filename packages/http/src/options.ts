// Client options: types, defaults and the validation of what is not a policy's (the pool, the client itself).
// Each policy interceptor validates its own options in its factory (src/interceptors/*.ts), once, at construction.
import { type Clock, optionChecks } from '@hotpath/core'
import type { Dispatcher } from 'undici'
import type { BreakerOptions } from './breaker.ts'
import type { RateLimitOptions } from './rate-limiter.ts'
import type { CacheKeyInfo, ResponseCacheBackend } from './store.ts'

export interface RetryOptions {
  /** Retries after the first attempt. Default 2. */
  retries?: number
  /** First backoff delay in ms (doubles per attempt, with full jitter). Default 100. */
  minDelay?: number
  /** Largest backoff delay in ms. Default 5_000. */
  maxDelay?: number
  /** Largest `Retry-After` honoured in ms; a longer one is not waited for (the response is returned). Default 30_000. */
  maxRetryAfter?: number
  /** Response statuses that are retried. Default [408, 429, 500, 502, 503, 504]. */
  statusCodes?: number[]
  /** Also retry POST/PATCH requests that carry an `Idempotency-Key` header. Default false. */
  withIdempotencyKey?: boolean
}

export interface HttpClientOptions {
  /** Name used in stats() and diagnostics payloads. Default 'http'. */
  name?: string
  /** Base URL: lets `request('/path')` and `invalidate('/path')` omit the origin. */
  origin?: string
  /** Connections per origin. Default 30. */
  connections?: number
  /** Requests in flight over all origins (more wait, FIFO, up to `queueTimeout`). Default 100. */
  maxInFlight?: number
  /** Requests pipelined per connection. Default 1 (no pipelining). */
  pipelining?: number
  /** Idle keep-alive time of a socket in ms. Default 4_000. */
  keepAliveTimeout?: number
  /** Time to establish a connection in ms. Default 10_000. */
  connectTimeout?: number
  /** Time to wait for response headers in ms. Default 30_000. */
  headersTimeout?: number
  /** Longest gap between body chunks in ms. Default 30_000. */
  bodyTimeout?: number
  /** Longest wait for a free slot under maxInFlight in ms. Default 30_000. */
  queueTimeout?: number
  /** Largest response body in bytes (-1: unlimited). Default 64 MiB. */
  maxResponseSize?: number
  /** Cache DNS lookups (undici dns interceptor). Default true; `{ maxTTL }` in ms. */
  dns?: boolean | { maxTTL?: number }
  /** Response cache: a @hotpath/cache instance, `false` to disable. Default: an in-memory @hotpath/cache. */
  cache?: ResponseCacheBackend | false
  /** Freshness of GET 2xx responses without explicit freshness, in ms (0: not cached by default). Default 300_000. */
  defaultTtl?: number
  /** Shared cache semantics (`private` responses are not stored). Default true. */
  shared?: boolean
  /** Largest body stored in the cache, bytes. Default 5 MiB. */
  maxEntrySize?: number
  /** 'path' (default): a successful write invalidates its path; 'collection': every GET under the collection. */
  invalidate?: 'path' | 'collection'
  /** Opt-in key partition for requests with credentials (e.g. a hash of Authorization). See README. */
  credentialKey?: (key: CacheKeyInfo) => string | undefined
  /**
   * Request headers that carry a credential: a request with one is neither served from nor stored into the
   * shared cache unless the response is public (or a `credentialKey` partitions it). Authorization and Cookie
   * always count. Default ['authorization', 'cookie', 'proxy-authorization', 'x-api-key'].
   */
  credentialHeaders?: string[]
  /** Extra tags for stored responses, for `invalidateTags()`. */
  cacheTags?: (key: CacheKeyInfo) => string[]
  /**
   * Share responses to requests with credentials when they carry `public`, `s-maxage` or `must-revalidate`
   * (RFC 9111 3.5). Default false: only `public` ones.
   */
  shareAuthenticated?: boolean
  /** Store 404 and 410 responses without explicit freshness like 2xx ones (defaultTtl, revalidation). Default false. */
  cacheNotFound?: boolean
  /** Store responses carrying Set-Cookie; only with `shared: false` (a private cache). Default false. */
  storeSetCookie?: boolean
  /**
   * Your own undici interceptors (`dispatch => (opts, handler) => boolean`), outermost: they see every request
   * the client dispatches (before the cache; each request once, whatever its retries) and may change it.
   */
  interceptors?: readonly Dispatcher.DispatcherComposeInterceptor[]
  /** Coalesce identical in-flight GET/HEAD requests. Default true. */
  coalesce?: boolean
  retry?: RetryOptions | false
  /** Token bucket per origin; off unless given. */
  rateLimit?: RateLimitOptions | false
  /**
   * Circuit breaker per origin, behind the cache (a fresh or usable-stale cached response is served while it is
   * open). Default { threshold: 5, halfOpenAfter: 10_000, failureStatusCodes: [502, 503, 504] }; `false` disables.
   */
  breaker?: BreakerOptions | false
  /** Overrides of `rateLimit` / `breaker` for some origins, e.g. `{ 'https://api.example.com': { rateLimit: { rps: 5 } } }`. */
  perOrigin?: Record<string, { rateLimit?: RateLimitOptions | false; breaker?: BreakerOptions | false }>
  /**
   * Time source of the breaker, rate limiter, cache freshness and durations (`now()` monotonic ms, `epoch()`
   * wall-clock ms). Default `systemClock` of @hotpath/core (Vitest fake timers drive it).
   */
  clock?: Clock
}

export interface ResolvedOptions {
  name: string
  origin: string | undefined
  connections: number
  pipelining: number
  keepAliveTimeout: number
  connectTimeout: number
  headersTimeout: number
  bodyTimeout: number
  maxResponseSize: number
  coalesce: boolean
  /** Canonical origin -> the raw overrides (each policy validates its own). */
  perOrigin: Map<string, { rateLimit?: unknown; breaker?: unknown }>
  interceptors: Dispatcher.DispatcherComposeInterceptor[]
  clock: Clock
}

const check = optionChecks('HOTPATH_HTTP_INVALID_OPTION')

const KNOWN: readonly string[] = [
  'name',
  'origin',
  'connections',
  'maxInFlight',
  'pipelining',
  'keepAliveTimeout',
  'connectTimeout',
  'headersTimeout',
  'bodyTimeout',
  'queueTimeout',
  'maxResponseSize',
  'dns',
  'cache',
  'defaultTtl',
  'shared',
  'maxEntrySize',
  'invalidate',
  'credentialKey',
  'credentialHeaders',
  'cacheTags',
  'shareAuthenticated',
  'cacheNotFound',
  'storeSetCookie',
  'interceptors',
  'coalesce',
  'retry',
  'rateLimit',
  'breaker',
  'perOrigin',
  'clock',
]
/** Options renamed in 0.x: the error says what to write instead. */
const RENAMED: Readonly<Record<string, string>> = { maxConnections: 'maxInFlight' }
/** Unknown keys are misspellings: reject them, pointing at the new name of a renamed option. */
function rejectUnknown(
  prefix: string,
  value: Record<string, unknown>,
  known: readonly string[],
  renamed: Readonly<Record<string, string>> = {},
): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue
    const to = renamed[key]
    check.fail(
      `${prefix}${key}`,
      value[key],
      to === undefined
        ? `no such option (known: ${known.join(', ')})`
        : `no such option (renamed to "${to}")`,
    )
  }
}

/** A plain object whose keys are all known. */
function object(
  name: string,
  value: unknown,
  known?: readonly string[],
  renamed?: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const o = check.object(name, value)
  if (o === undefined) return check.fail(name, value, 'an object')
  if (known !== undefined) rejectUnknown(`${name}.`, o, known, renamed)
  return o
}

/** An integer >= min (a duration in ms, a count); `fallback` when undefined. */
function int(name: string, value: unknown, fallback: number, min: number, max?: number): number {
  return check.integer(name, value, fallback, min, max)
}

export function validateOrigin(name: string, value: unknown): string {
  if (typeof value !== 'string' && !(value instanceof URL)) return check.fail(name, value, 'an http(s) URL')
  let url: URL
  try {
    url = new URL(String(value))
  } catch {
    return check.fail(name, value, 'an http(s) URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') check.fail(name, value, 'an http: or https: URL')
  return url.origin
}

export function resolveOptions(options: HttpClientOptions | undefined): ResolvedOptions {
  const o = (check.object('options', options) ?? {}) as HttpClientOptions
  rejectUnknown('', o as Record<string, unknown>, KNOWN, RENAMED)
  const perOrigin = new Map<string, { rateLimit?: unknown; breaker?: unknown }>()
  if (o.perOrigin !== undefined) {
    const p = object('perOrigin', o.perOrigin)
    for (const [key, value] of Object.entries(p)) {
      const name = `perOrigin[${JSON.stringify(key)}]`
      perOrigin.set(validateOrigin(name, key), object(name, value, ['rateLimit', 'breaker']))
    }
  }
  const interceptors = o.interceptors ?? []
  if (!Array.isArray(interceptors) || interceptors.some((i) => typeof i !== 'function'))
    check.fail(
      'interceptors',
      o.interceptors,
      'an array of undici interceptors (dispatch => (opts, handler) => boolean)',
    )
  return {
    name: check.string('name', o.name, 'http'),
    origin: o.origin === undefined ? undefined : validateOrigin('origin', o.origin),
    connections: int('connections', o.connections, 30, 1),
    pipelining: int('pipelining', o.pipelining, 1, 1, 128),
    keepAliveTimeout: int('keepAliveTimeout', o.keepAliveTimeout, 4_000, 1),
    connectTimeout: int('connectTimeout', o.connectTimeout, 10_000, 1),
    headersTimeout: int('headersTimeout', o.headersTimeout, 30_000, 1),
    bodyTimeout: int('bodyTimeout', o.bodyTimeout, 30_000, 1),
    maxResponseSize:
      o.maxResponseSize === -1 ? -1 : int('maxResponseSize', o.maxResponseSize, 64 * 1024 * 1024, 1),
    coalesce: check.boolean('coalesce', o.coalesce, true),
    perOrigin,
    interceptors: [...interceptors],
    clock: check.clock('clock', o.clock),
  }
}
