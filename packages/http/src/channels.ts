// Diagnostics channels of @hotpath/http, created once at module load and typed by their payloads (part of
// the public contract: @hotpath/metrics imports these types). Publish only when subscribed.
import { type TracingChannel, tracingChannel } from 'node:diagnostics_channel'
import { type TypedChannel, typedChannel } from '@hotpath/core'
import type { HttpResponse } from './response.ts'

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

/**
 * Context of the `hotpath:http:request` tracing channel (`tracing:hotpath:http:request:start`, `:end`,
 * `:asyncStart`, `:asyncEnd`, `:error`): one per client call, the request as the caller sees it (retries and
 * redirects inside it). The same object travels through the five events; `error` and `result` are set by
 * Node before `error` / `asyncStart`.
 */
export interface HttpRequestTraceContext {
  client: string
  /** Upper-case method as sent. */
  method: string
  /** Canonical origin (`scheme://host[:port]`). */
  origin: string
  /** `url.scheme`. */
  scheme: 'http' | 'https'
  /** `server.address`: the host name or IP (without brackets). */
  host: string
  /** `server.port` (the scheme's default when the URL has none). */
  port: number
  /** Path without the query string. */
  path: string
  /** Path with the query string, as sent. */
  target: string
  /**
   * True from `start` on when the response cache answers the call without a network request (a fresh hit on
   * the fast path): no request is dispatched and headers added by `setHeader` go nowhere.
   */
  fromCache: boolean
  /** True when the call joined an identical in-flight GET/HEAD (coalescing): it dispatches nothing itself. */
  coalesced: boolean
  /**
   * Adds (or replaces) a request header; call it from a `start` subscriber, before the request is dispatched
   * (`traceparent`, `tracestate`, `baggage`). Later calls have no effect on the request.
   */
  setHeader(name: string, value: string): void
  /** At the end: the response's status (absent when the call failed without a response). */
  readonly statusCode: number | undefined
  /** At the end: how the response relates to the cache (`hit`/`stale`: no network call answered it). */
  readonly cache: CacheOutcome | undefined
  /** At the end: retries the call needed. */
  readonly retries: number
  /** Set by Node when the call resolved. */
  result?: HttpResponse
  /** Set by Node when the call failed (a coded HttpError). */
  error?: unknown
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

/** Tracing channels (name -> context), published only while someone subscribes. */
export interface HttpTracingChannels {
  'hotpath:http:request': HttpRequestTraceContext
}

export const requestTracing: TracingChannel<object, HttpRequestTraceContext> = tracingChannel<
  object,
  HttpRequestTraceContext
>('hotpath:http:request')

export function pathOnly(path: string): string {
  const q = path.indexOf('?')
  return q === -1 ? path : path.slice(0, q)
}
