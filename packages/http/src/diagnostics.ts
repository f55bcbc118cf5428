// Diagnostics channels of @hotpath/http, created once at module load. Publish only when subscribed.
import diagnosticsChannel from 'node:diagnostics_channel'

export type CacheOutcome = 'hit' | 'stale' | 'revalidated' | 'miss' | 'bypass'
export type BreakerState = 'closed' | 'open' | 'half-open'

export interface RequestEvent {
  client: string
  method: string
  origin: string
  /** Path without the query string. */
  path: string
  statusCode?: number
  durationMs: number
  cache: CacheOutcome
  error?: { code: string; message: string }
  retries: number
}
export interface RetryEvent {
  client: string
  method: string
  origin: string
  attempt: number
  delayMs: number
  reason: string
}
export interface RateLimitEvent {
  client: string
  origin: string
  waitMs: number
}
export interface BreakerEvent {
  client: string
  origin: string
  state: BreakerState
}

export const requestChannel: diagnosticsChannel.Channel = diagnosticsChannel.channel('hotpath:http:request')
export const retryChannel: diagnosticsChannel.Channel = diagnosticsChannel.channel('hotpath:http:retry')
export const rateLimitChannel: diagnosticsChannel.Channel =
  diagnosticsChannel.channel('hotpath:http:ratelimit')
export const breakerChannel: diagnosticsChannel.Channel = diagnosticsChannel.channel('hotpath:http:breaker')

export function pathOnly(path: string): string {
  const q = path.indexOf('?')
  return q === -1 ? path : path.slice(0, q)
}
