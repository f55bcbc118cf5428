// Diagnostics channels of @hotpath/http, created once at module load and typed by their payloads (part of
// the public contract: @hotpath/metrics imports these types). Publish only when subscribed.
import { type TypedChannel, typedChannel } from '@hotpath/core'

/** How a response relates to the cache: `bypass` also for errors, writes, credentialed requests and cache off. */
export type CacheOutcome = 'hit' | 'stale' | 'revalidated' | 'miss' | 'bypass'
export type BreakerState = 'closed' | 'open' | 'half-open'

/** `hotpath:http:request`: one per request that completed or failed (not for requests that joined a coalesced one). */
export interface RequestEvent {
  client: string
  method: string
  origin: string
  /** Path without the query string. */
  path: string
  /** Absent when the request failed without a response. */
  statusCode?: number
  durationMs: number
  cache: CacheOutcome
  /** Present when the request failed (then `cache` is `'bypass'`). */
  error?: { code: string; message: string }
  retries: number
}
/** `hotpath:http:retry`: before each retry wait. */
export interface RetryEvent {
  client: string
  method: string
  origin: string
  /** The retry about to be made (1 = first retry). */
  attempt: number
  /** The wait before it (backoff or Retry-After). */
  delayMs: number
  /** The error code that is retried, or `status <n>`. */
  reason: string
}
/** `hotpath:http:ratelimit`: a request that waited for a token of its origin's rate limiter. */
export interface RateLimitEvent {
  client: string
  origin: string
  waitMs: number
}
/** `hotpath:http:breaker`: an origin's breaker changed state. */
export interface BreakerEvent {
  client: string
  origin: string
  state: BreakerState
}

/** Channel name -> payload type of every channel @hotpath/http publishes on. */
export interface HttpChannelPayloads {
  'hotpath:http:request': RequestEvent
  'hotpath:http:retry': RetryEvent
  'hotpath:http:ratelimit': RateLimitEvent
  'hotpath:http:breaker': BreakerEvent
}

export const requestChannel: TypedChannel<RequestEvent> = typedChannel<RequestEvent>('hotpath:http:request')
export const retryChannel: TypedChannel<RetryEvent> = typedChannel<RetryEvent>('hotpath:http:retry')
export const rateLimitChannel: TypedChannel<RateLimitEvent> =
  typedChannel<RateLimitEvent>('hotpath:http:ratelimit')
export const breakerChannel: TypedChannel<BreakerEvent> = typedChannel<BreakerEvent>('hotpath:http:breaker')

export function pathOnly(path: string): string {
  const q = path.indexOf('?')
  return q === -1 ? path : path.slice(0, q)
}
