// Client options: types, defaults and validation (once, at construction).
import type { BreakerOptions } from './breaker.ts'
import { InvalidOptionError } from './errors.ts'
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
  /** Requests in flight over all origins (caps the sockets in use). Default 100. */
  maxConnections?: number
  /** Requests pipelined per connection. Default 1 (no pipelining). */
  pipelining?: number
  /** Idle keep-alive time of a socket in ms. Default 4_000. */
  keepAliveTimeout?: number
  connectTimeout?: number
  /** Time to wait for response headers in ms. Default 30_000. */
  headersTimeout?: number
  /** Longest gap between body chunks in ms. Default 30_000. */
  bodyTimeout?: number
  /** Longest wait for a free slot under maxConnections in ms. Default 30_000. */
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
  /** Extra tags for stored responses, for `invalidateTags()`. */
  cacheTags?: (key: CacheKeyInfo) => string[]
  /** Coalesce identical in-flight GET/HEAD requests. Default true. */
  coalesce?: boolean
  retry?: RetryOptions | false
  /** Token bucket per origin; off unless given. */
  rateLimit?: RateLimitOptions | false
  /** Circuit breaker per origin. Default { threshold: 5, resetTimeout: 10_000 }; `false` disables. */
  breaker?: BreakerOptions | false
  /** Overrides of `rateLimit` / `breaker` for some origins, e.g. `{ 'https://api.example.com': { rateLimit: { rps: 5 } } }`. */
  perOrigin?: Record<string, { rateLimit?: RateLimitOptions | false; breaker?: BreakerOptions | false }>
}

export interface ResolvedOptions {
  name: string
  origin: string | undefined
  connections: number
  maxConnections: number
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
}

export interface OriginOverrides {
  rateLimit: Required<RateLimitOptions> | false
  breaker: Required<BreakerOptions> | false
}

const KNOWN = new Set([
  'name',
  'origin',
  'connections',
  'maxConnections',
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
  'cacheTags',
  'coalesce',
  'retry',
  'rateLimit',
  'breaker',
  'perOrigin',
])

function int(
  name: string,
  value: unknown,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(name, value, `an integer between ${min} and ${max}`)
  }
  return value
}

function bool(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw new InvalidOptionError(name, value, 'a boolean')
  return value
}

function positiveNumber(name: string, value: unknown, fallback: number | undefined): number {
  if (value === undefined && fallback !== undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidOptionError(name, value, 'a finite number > 0')
  }
  return value
}

function obj(name: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(name, value, 'an object')
  }
  return value as Record<string, unknown>
}

export function validateOrigin(name: string, value: unknown): string {
  if (typeof value !== 'string' && !(value instanceof URL))
    throw new InvalidOptionError(name, value, 'an http(s) URL')
  let url: URL
  try {
    url = new URL(String(value))
  } catch {
    throw new InvalidOptionError(name, value, 'an http(s) URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidOptionError(name, value, 'an http: or https: URL')
  }
  return url.origin
}

export function resolveOptions(options: HttpClientOptions | undefined): ResolvedOptions {
  const o = options === undefined ? {} : (obj('options', options) as HttpClientOptions)
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key))
      throw new InvalidOptionError(
        key,
        (o as Record<string, unknown>)[key],
        `one of the known options (${[...KNOWN].join(', ')})`,
      )
  }
  if (o.name !== undefined && (typeof o.name !== 'string' || o.name === '')) {
    throw new InvalidOptionError('name', o.name, 'a non-empty string')
  }
  if (o.invalidate !== undefined && o.invalidate !== 'path' && o.invalidate !== 'collection') {
    throw new InvalidOptionError('invalidate', o.invalidate, "'path' or 'collection'")
  }
  for (const fn of ['credentialKey', 'cacheTags'] as const) {
    if (o[fn] !== undefined && typeof o[fn] !== 'function')
      throw new InvalidOptionError(fn, o[fn], 'a function')
  }
  if (o.cache !== undefined && o.cache !== false) {
    const c = o.cache as unknown as Record<string, unknown>
    if (
      typeof c !== 'object' ||
      c === null ||
      typeof c.get !== 'function' ||
      typeof c.set !== 'function' ||
      typeof c.invalidateTags !== 'function'
    ) {
      throw new InvalidOptionError('cache', o.cache, 'a @hotpath/cache instance (createCache()) or false')
    }
  }

  let dns: ResolvedOptions['dns'] = { maxTTL: 10_000 }
  if (o.dns === false) dns = false
  else if (o.dns !== undefined && o.dns !== true) {
    const d = obj('dns', o.dns)
    dns = { maxTTL: int('dns.maxTTL', d.maxTTL, 10_000, 0) }
  }

  let retry: ResolvedOptions['retry'] = false
  if (o.retry !== false) {
    const r = o.retry === undefined ? {} : obj('retry', o.retry)
    const statusCodes = r.statusCodes ?? [408, 429, 500, 502, 503, 504]
    if (!Array.isArray(statusCodes) || statusCodes.some((s) => !Number.isInteger(s) || s < 100 || s > 599)) {
      throw new InvalidOptionError(
        'retry.statusCodes',
        r.statusCodes,
        'an array of HTTP status codes (100-599)',
      )
    }
    const minDelay = int('retry.minDelay', r.minDelay, 100, 0)
    retry = {
      retries: int('retry.retries', r.retries, 2, 0, 100),
      minDelay,
      maxDelay: int('retry.maxDelay', r.maxDelay, Math.max(5_000, minDelay), minDelay),
      maxRetryAfter: int('retry.maxRetryAfter', r.maxRetryAfter, 30_000, 0),
      statusCodes: statusCodes as number[],
      withIdempotencyKey: bool('retry.withIdempotencyKey', r.withIdempotencyKey, false),
    }
  }

  const rateLimit = resolveRateLimit('rateLimit', o.rateLimit)
  const breaker = resolveBreaker('breaker', o.breaker)
  const perOrigin = new Map<string, OriginOverrides>()
  if (o.perOrigin !== undefined) {
    const p = obj('perOrigin', o.perOrigin)
    for (const [key, value] of Object.entries(p)) {
      const origin = validateOrigin(`perOrigin[${JSON.stringify(key)}]`, key)
      const v = obj(`perOrigin[${JSON.stringify(key)}]`, value)
      for (const name of Object.keys(v)) {
        if (name !== 'rateLimit' && name !== 'breaker') {
          throw new InvalidOptionError(
            `perOrigin[${JSON.stringify(key)}].${name}`,
            v[name],
            'rateLimit or breaker',
          )
        }
      }
      perOrigin.set(origin, {
        rateLimit:
          v.rateLimit === undefined
            ? rateLimit
            : resolveRateLimit(
                `perOrigin[${JSON.stringify(key)}].rateLimit`,
                v.rateLimit as RateLimitOptions | false,
              ),
        breaker:
          v.breaker === undefined
            ? breaker
            : v.breaker === false
              ? false
              : resolveBreaker(`perOrigin[${JSON.stringify(key)}].breaker`, v.breaker as BreakerOptions),
      })
    }
  }

  return {
    name: o.name ?? 'http',
    origin: o.origin === undefined ? undefined : validateOrigin('origin', o.origin),
    connections: int('connections', o.connections, 30, 1),
    maxConnections: int('maxConnections', o.maxConnections, 100, 1),
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
    shared: bool('shared', o.shared, true),
    maxEntrySize: int('maxEntrySize', o.maxEntrySize, 5 * 1024 * 1024, 0),
    invalidate: o.invalidate ?? 'path',
    coalesce: bool('coalesce', o.coalesce, true),
    retry,
    rateLimit,
    breaker,
    perOrigin,
  }
}

function resolveRateLimit(
  name: string,
  value: RateLimitOptions | false | undefined,
): Required<RateLimitOptions> | false {
  if (value === undefined || value === false) return false
  const r = obj(name, value)
  const rps = positiveNumber(`${name}.rps`, r.rps, undefined)
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
  const b = value === undefined ? {} : obj(name, value)
  return {
    threshold: int(`${name}.threshold`, b.threshold, 5, 1),
    resetTimeout: int(`${name}.resetTimeout`, b.resetTimeout, 10_000, 1),
  }
}
