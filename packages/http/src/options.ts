// Client options: types, defaults and validation (once, at construction).
import { type Clock, optionChecks } from '@hotpath/core'
import type { BreakerOptions } from './breaker.ts'
import { credentialHeaderList } from './entries.ts'
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
  maxInFlight: number
  pipelining: number
  keepAliveTimeout: number
  connectTimeout: number
  headersTimeout: number
  bodyTimeout: number
  queueTimeout: number
  maxResponseSize: number
  dns: { maxTTL: number } | false
  defaultTtl: number
  shared: boolean
  maxEntrySize: number
  invalidate: 'path' | 'collection'
  coalesce: boolean
  retry: Required<RetryOptions> | false
  rateLimit: Required<RateLimitOptions> | false
  breaker: Required<BreakerOptions> | false
  /** Canonical origin -> resolved overrides. */
  perOrigin: Map<string, OriginOverrides>
  clock: Clock
}

export interface OriginOverrides {
  rateLimit: Required<RateLimitOptions> | false
  breaker: Required<BreakerOptions> | false
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
  'coalesce',
  'retry',
  'rateLimit',
  'breaker',
  'perOrigin',
  'clock',
]
/** Options renamed in 0.x: the error says what to write instead. */
const RENAMED: Readonly<Record<string, string>> = { maxConnections: 'maxInFlight' }
const RETRY_KEYS: readonly string[] = [
  'retries',
  'minDelay',
  'maxDelay',
  'maxRetryAfter',
  'statusCodes',
  'withIdempotencyKey',
]
const RATE_LIMIT_KEYS: readonly string[] = ['rps', 'burst', 'maxQueue', 'maxWait']
const BREAKER_KEYS: readonly string[] = ['threshold', 'halfOpenAfter', 'failureStatusCodes']

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
  check.func('credentialKey', o.credentialKey)
  check.func('cacheTags', o.cacheTags)
  if (credentialHeaderList(o.credentialHeaders) === undefined)
    check.fail('credentialHeaders', o.credentialHeaders, 'an array of header names (e.g. ["x-api-key"])')
  if (o.cache !== undefined && o.cache !== false) {
    const c = o.cache as unknown as Record<string, unknown>
    if (
      typeof c !== 'object' ||
      c === null ||
      typeof c.get !== 'function' ||
      typeof c.set !== 'function' ||
      typeof c.invalidateTags !== 'function'
    ) {
      check.fail('cache', o.cache, 'a @hotpath/cache instance (createCache()) or false')
    }
  }

  let dns: ResolvedOptions['dns'] = { maxTTL: 10_000 }
  if (o.dns === false) dns = false
  else if (o.dns !== undefined && o.dns !== true) {
    const d = object('dns', o.dns, ['maxTTL'])
    dns = { maxTTL: int('dns.maxTTL', d.maxTTL, 10_000, 0) }
  }

  let retry: ResolvedOptions['retry'] = false
  if (o.retry !== false) {
    const r = o.retry === undefined ? {} : object('retry', o.retry, RETRY_KEYS)
    const statusCodes = r.statusCodes ?? [408, 429, 500, 502, 503, 504]
    if (!Array.isArray(statusCodes) || statusCodes.some((s) => !Number.isInteger(s) || s < 100 || s > 599)) {
      check.fail('retry.statusCodes', r.statusCodes, 'an array of HTTP status codes (100-599)')
    }
    const minDelay = int('retry.minDelay', r.minDelay, 100, 0)
    retry = {
      retries: int('retry.retries', r.retries, 2, 0, 100),
      minDelay,
      maxDelay: int('retry.maxDelay', r.maxDelay, Math.max(5_000, minDelay), minDelay),
      maxRetryAfter: int('retry.maxRetryAfter', r.maxRetryAfter, 30_000, 0),
      statusCodes: statusCodes as number[],
      withIdempotencyKey: check.boolean('retry.withIdempotencyKey', r.withIdempotencyKey, false),
    }
  }

  const rateLimit = resolveRateLimit('rateLimit', o.rateLimit)
  const breaker = resolveBreaker('breaker', o.breaker)
  const perOrigin = new Map<string, OriginOverrides>()
  if (o.perOrigin !== undefined) {
    const p = object('perOrigin', o.perOrigin)
    for (const [key, value] of Object.entries(p)) {
      const name = `perOrigin[${JSON.stringify(key)}]`
      const origin = validateOrigin(name, key)
      const v = object(name, value, ['rateLimit', 'breaker'])
      perOrigin.set(origin, {
        rateLimit:
          v.rateLimit === undefined
            ? rateLimit
            : resolveRateLimit(`${name}.rateLimit`, v.rateLimit as RateLimitOptions | false),
        breaker:
          v.breaker === undefined
            ? breaker
            : resolveBreaker(`${name}.breaker`, v.breaker as BreakerOptions | false),
      })
    }
  }

  return {
    name: check.string('name', o.name, 'http'),
    origin: o.origin === undefined ? undefined : validateOrigin('origin', o.origin),
    connections: int('connections', o.connections, 30, 1),
    maxInFlight: int('maxInFlight', o.maxInFlight, 100, 1),
    pipelining: int('pipelining', o.pipelining, 1, 1, 128),
    keepAliveTimeout: int('keepAliveTimeout', o.keepAliveTimeout, 4_000, 1),
    connectTimeout: int('connectTimeout', o.connectTimeout, 10_000, 1),
    headersTimeout: int('headersTimeout', o.headersTimeout, 30_000, 1),
    bodyTimeout: int('bodyTimeout', o.bodyTimeout, 30_000, 1),
    queueTimeout: int('queueTimeout', o.queueTimeout, 30_000, 1),
    maxResponseSize:
      o.maxResponseSize === -1 ? -1 : int('maxResponseSize', o.maxResponseSize, 64 * 1024 * 1024, 1),
    dns,
    defaultTtl: int('defaultTtl', o.defaultTtl, 300_000, 0),
    shared: check.boolean('shared', o.shared, true),
    maxEntrySize: int('maxEntrySize', o.maxEntrySize, 5 * 1024 * 1024, 0),
    invalidate: check.oneOf('invalidate', o.invalidate, ['path', 'collection'], 'path'),
    coalesce: check.boolean('coalesce', o.coalesce, true),
    retry,
    rateLimit,
    breaker,
    perOrigin,
    clock: check.clock('clock', o.clock),
  }
}

function resolveRateLimit(
  name: string,
  value: RateLimitOptions | false | undefined,
): Required<RateLimitOptions> | false {
  if (value === undefined || value === false) return false
  const r = object(name, value, RATE_LIMIT_KEYS)
  if (r.rps === undefined) check.fail(`${name}.rps`, r.rps, 'a finite number > 0 (tokens per second)')
  const rps = check.positive(`${name}.rps`, r.rps, 1)
  return {
    rps,
    burst: int(`${name}.burst`, r.burst, Math.max(1, Math.ceil(rps)), 1),
    maxQueue: int(`${name}.maxQueue`, r.maxQueue, 1000, 0),
    maxWait: int(`${name}.maxWait`, r.maxWait, 30_000, 1),
  }
}

function resolveBreaker(
  name: string,
  value: BreakerOptions | false | undefined,
): Required<BreakerOptions> | false {
  if (value === false) return false
  const b = value === undefined ? {} : object(name, value, BREAKER_KEYS, { resetTimeout: 'halfOpenAfter' })
  const failureStatusCodes = b.failureStatusCodes ?? [502, 503, 504]
  if (
    !Array.isArray(failureStatusCodes) ||
    failureStatusCodes.some((s) => !Number.isInteger(s) || s < 100 || s > 599)
  ) {
    check.fail(`${name}.failureStatusCodes`, b.failureStatusCodes, 'an array of HTTP status codes (100-599)')
  }
  return {
    failureStatusCodes: failureStatusCodes as number[],
    threshold: int(`${name}.threshold`, b.threshold, 5, 1),
    halfOpenAfter: int(`${name}.halfOpenAfter`, b.halfOpenAfter, 10_000, 1),
  }
}
