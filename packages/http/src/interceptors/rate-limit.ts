// Rate-limit policy: a token bucket per origin that queues (bounded, with a deadline) instead of failing.
// Inside the cache and the breaker: a cache hit or a request the open breaker refuses takes no token.
import { type Clock, optionChecks } from '@hotpath/core'
import { rateLimitChannel } from '../channels.ts'
import { ClosedError } from '../errors.ts'
import { type RateLimitOptions, TokenBucket } from '../rate-limiter.ts'
import { type Dispatch, fail, forward, originOf } from './forward.ts'

const check = optionChecks('HOTPATH_HTTP_INVALID_OPTION')
const RATE_LIMIT_KEYS: readonly string[] = ['rps', 'burst', 'maxQueue', 'maxWait']

export interface RateLimitInterceptorOptions {
  rateLimit?: RateLimitOptions | false
  /** Canonical origin -> that origin's `rateLimit` option (undefined: the client's). */
  perOrigin?: ReadonlyMap<string, { rateLimit?: unknown }>
  client: string
  clock: Clock
  closing: AbortSignal
  /** Called once per request that had to wait for a token. */
  onWait?: () => void
}

export interface RateLimitInterceptor {
  (dispatch: Dispatch): Dispatch
  /** Rejects every waiter (client closing). */
  close(error: Error): void
}

/** Validates a `rateLimit` option (`name` is its path in the options, for the error). */
export function resolveRateLimit(name: string, value: unknown): Required<RateLimitOptions> | false {
  if (value === undefined || value === false) return false
  const r = check.object(name, value) ?? check.fail(name, value, 'an object')
  for (const key of Object.keys(r)) {
    if (!RATE_LIMIT_KEYS.includes(key))
      check.fail(`${name}.${key}`, r[key], `no such option (known: ${RATE_LIMIT_KEYS.join(', ')})`)
  }
  if (r.rps === undefined) check.fail(`${name}.rps`, r.rps, 'a finite number > 0 (tokens per second)')
  const rps = check.positive(`${name}.rps`, r.rps, 1)
  return {
    rps,
    burst: check.integer(`${name}.burst`, r.burst, Math.max(1, Math.ceil(rps)), 1),
    maxQueue: check.integer(`${name}.maxQueue`, r.maxQueue, 1000, 0),
    maxWait: check.integer(`${name}.maxWait`, r.maxWait, 30_000, 1),
  }
}

/** The rate-limit policy, or undefined when no origin is limited. Validates its options once, here. */
export function rateLimitInterceptor(options: RateLimitInterceptorOptions): RateLimitInterceptor | undefined {
  const base = resolveRateLimit('rateLimit', options.rateLimit)
  const overrides = new Map<string, Required<RateLimitOptions> | false>()
  for (const [origin, o] of options.perOrigin ?? []) {
    if (o.rateLimit !== undefined)
      overrides.set(origin, resolveRateLimit(`perOrigin[${JSON.stringify(origin)}].rateLimit`, o.rateLimit))
  }
  if (base === false && ![...overrides.values()].some((r) => r !== false)) return undefined
  const { client, clock, closing, onWait } = options
  const buckets = new Map<string, TokenBucket | null>()
  const bucketOf = (origin: string): TokenBucket | null => {
    let b = buckets.get(origin)
    if (b === undefined) {
      const o = overrides.has(origin) ? overrides.get(origin) : base
      b = o === false || o === undefined ? null : new TokenBucket(origin, o, clock)
      if (buckets.size < 10_000) buckets.set(origin, b)
    }
    return b
  }
  const interceptor = (dispatch: Dispatch): Dispatch =>
    function rateLimit(opts, handler) {
      const origin = originOf(opts)
      const bucket = bucketOf(origin)
      if (bucket === null) return dispatch(opts, handler)
      if (closing.aborted) return fail(handler, new ClosedError())
      if (bucket.tryTake()) return dispatch(opts, handler)
      onWait?.()
      bucket.wait().then(
        (waitMs) => {
          if (rateLimitChannel.hasSubscribers) rateLimitChannel.publish({ client, origin, waitMs })
          if (closing.aborted) fail(handler, new ClosedError())
          else forward(dispatch, opts, handler)
        },
        (error: Error) => fail(handler, error),
      )
      return true
    }
  return Object.assign(interceptor, {
    close(error: Error): void {
      for (const b of buckets.values()) b?.close(error)
    },
  })
}
