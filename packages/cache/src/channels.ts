// Diagnostics channels of @hotpath/cache, created once at module load, typed by their payloads (the
// contract @hotpath/metrics reads; see docs/diagnostics-channels.md). `cache` is the namespace;
// payloads never contain values.
import { type TracingChannel, tracingChannel } from 'node:diagnostics_channel'
import { type TypedChannel, typedChannel } from '@hotpath/core'

/** Where a lookup was answered. */
export type CacheTier = 'l1' | 'l2' | 'none'
/** Every L2 operation the guard runs (and so may publish on hotpath:cache:l2:error). */
export type L2Operation = 'get' | 'set' | 'delete' | 'clear' | 'lock' | 'sync'
export type BreakerState = 'closed' | 'open' | 'half-open'
export type BusMessageType = 'key' | 'tags' | 'clear'

/** `hotpath:cache:get`: one per get / getOrSet lookup. */
export interface CacheGetEvent {
  cache: string
  key: string
  result: 'hit' | 'miss' | 'stale'
  tier: CacheTier
}

/** `hotpath:cache:set`: a write landed in L1 or L2 (`ttlMs`: the TTL it was stored with). */
export interface CacheSetEvent {
  cache: string
  key: string
  ttlMs: number
  tier: 'l1' | 'l2'
}

/** `hotpath:cache:delete`. */
export interface CacheDeleteEvent {
  cache: string
  key: string
}

/** `hotpath:cache:evict`: an L1 disposal. */
export interface CacheEvictEvent {
  cache: string
  key: string
  reason: 'evict' | 'expire' | 'set' | 'delete'
}

/** `hotpath:cache:factory`: a getOrSet factory settled, failed or passed a timeout. */
export interface CacheFactoryEvent {
  cache: string
  key: string
  durationMs: number
  error?: unknown
  timedOut?: 'soft' | 'hard'
}

/** `hotpath:cache:l2:error`: an L2 call failed or passed l2Timeout (callers never see these errors). */
export interface CacheL2ErrorEvent {
  cache: string
  /** `lock`: distributed-lock calls; `sync`: reading tag / clear stamps. */
  operation: L2Operation
  error: unknown
  timeout: boolean
}

/** `hotpath:cache:breaker`: the L2 circuit breaker changed state. */
export interface CacheBreakerEvent {
  cache: string
  state: BreakerState
}

/** `hotpath:cache:bus`: invalidation bus activity (`type` on publish / receive). */
export interface CacheBusEvent {
  cache: string
  event: 'publish' | 'receive' | 'reconnect' | 'error'
  type?: BusMessageType
}

/**
 * Context of the `hotpath:cache:factory` tracing channel (`tracing:hotpath:cache:factory:start`, `:end`,
 * `:asyncStart`, `:asyncEnd`, `:error`): one per getOrSet factory run (a miss, a stale refresh, a background
 * refresh). The factory runs inside `start`'s bound stores, so work it does (a query, a request) can be the
 * child of a span made at `start`. It ends when the factory settles, also after a soft/hard timeout answered
 * the caller. `result` / `error` are set by Node.
 */
export interface CacheFactoryTraceContext {
  cache: string
  key: string
  /** True when a stale value exists (a refresh rather than a first load). */
  refresh: boolean
  /** Set by Node when the factory resolved: its value. */
  result?: unknown
  /** Set by Node when the factory threw or rejected. */
  error?: unknown
}

/** Tracing channels (name -> context), published only while someone subscribes. */
export interface CacheTracingChannels {
  'hotpath:cache:factory': CacheFactoryTraceContext
}

/** Channel name -> payload type of every channel @hotpath/cache publishes on. */
export interface CacheChannelPayloads {
  'hotpath:cache:get': CacheGetEvent
  'hotpath:cache:set': CacheSetEvent
  'hotpath:cache:delete': CacheDeleteEvent
  'hotpath:cache:evict': CacheEvictEvent
  'hotpath:cache:factory': CacheFactoryEvent
  'hotpath:cache:l2:error': CacheL2ErrorEvent
  'hotpath:cache:breaker': CacheBreakerEvent
  'hotpath:cache:bus': CacheBusEvent
}

export const getChannel: TypedChannel<CacheGetEvent> = typedChannel('hotpath:cache:get')
export const setChannel: TypedChannel<CacheSetEvent> = typedChannel('hotpath:cache:set')
export const deleteChannel: TypedChannel<CacheDeleteEvent> = typedChannel('hotpath:cache:delete')
export const evictChannel: TypedChannel<CacheEvictEvent> = typedChannel('hotpath:cache:evict')
export const factoryChannel: TypedChannel<CacheFactoryEvent> = typedChannel('hotpath:cache:factory')
export const l2ErrorChannel: TypedChannel<CacheL2ErrorEvent> = typedChannel('hotpath:cache:l2:error')
export const breakerChannel: TypedChannel<CacheBreakerEvent> = typedChannel('hotpath:cache:breaker')
export const busChannel: TypedChannel<CacheBusEvent> = typedChannel('hotpath:cache:bus')
export const factoryTracing: TracingChannel<object, CacheFactoryTraceContext> = tracingChannel<
  object,
  CacheFactoryTraceContext
>('hotpath:cache:factory')
