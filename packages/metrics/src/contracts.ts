// The channel contracts metrics reads, derived from the publishing packages' own payload types.
// Type-only imports: no runtime arrow to any other hotpath package, and nothing of these types is
// reachable from index.ts, so the emitted .d.ts never names @hotpath/cache, http, db or load.
//
// Every allowed-value list below must name exactly the values of the package's union: a value added
// there and missing here (or the other way round) fails the metrics build, instead of silently folding
// into `other`.
import type { CacheChannelPayloads, CacheTracingChannels } from '@hotpath/cache'
import type { DbChannelPayloads, DbTracingChannels } from '@hotpath/db'
import type { HttpChannelPayloads, HttpTracingChannels } from '@hotpath/http'
import type { LoadChannelPayloads } from '@hotpath/load'

/** Channel name -> payload of every `hotpath:*` channel of the house. */
export interface ChannelPayloads
  extends CacheChannelPayloads,
    HttpChannelPayloads,
    DbChannelPayloads,
    LoadChannelPayloads {}

export type ChannelName = keyof ChannelPayloads & `hotpath:${string}`
export type Payload<N extends ChannelName> = ChannelPayloads[N]
/** A subscriber of one channel, typed by its contract (metrics still checks values at run time). */
export type Listener<N extends ChannelName> = (message: Payload<N>) => void
/** Subscribes a typed listener to one channel. */
export type Subscribe = <N extends ChannelName>(name: N, fn: Listener<N>) => void

/**
 * `allOf<U>()(list)` returns `list` typed as it is, and does not compile unless `list` holds every member
 * of the union `U` (each element must already be a member: `satisfies readonly U[]` semantics).
 */
function allOf<U extends string>() {
  return <const L extends readonly U[]>(
    list: L & ([Exclude<U, L[number]>] extends [never] ? unknown : { missing: Exclude<U, L[number]> }),
  ): L => list
}

type CacheGet = Payload<'hotpath:cache:get'>
type CacheEvict = Payload<'hotpath:cache:evict'>
type CacheFactory = Payload<'hotpath:cache:factory'>
type CacheL2Error = Payload<'hotpath:cache:l2:error'>
type CacheBreaker = Payload<'hotpath:cache:breaker'>
type HttpRequest = Payload<'hotpath:http:request'>
type HttpBreaker = Payload<'hotpath:http:breaker'>
type DbQuery = Payload<'hotpath:db:query'>

export type CacheResult = CacheGet['result']
export type CacheTier = CacheGet['tier']
export type EvictReason = CacheEvict['reason']
export type FactoryTimeout = NonNullable<CacheFactory['timedOut']>
export type L2Operation = CacheL2Error['operation']
export type BreakerState = CacheBreaker['state'] | HttpBreaker['state']
export type HttpCacheOutcome = HttpRequest['cache']
export type DbSystem = DbQuery['system']

export const CACHE_RESULTS: readonly CacheResult[] = allOf<CacheResult>()(['hit', 'miss', 'stale'])
export const CACHE_TIERS: readonly CacheTier[] = allOf<CacheTier>()(['l1', 'l2', 'none'])
export const EVICT_REASONS: readonly EvictReason[] = allOf<EvictReason>()([
  'evict',
  'expire',
  'set',
  'delete',
])
export const FACTORY_TIMEOUTS: readonly FactoryTimeout[] = allOf<FactoryTimeout>()(['soft', 'hard'])
export const L2_OPERATIONS: readonly L2Operation[] = allOf<L2Operation>()([
  'get',
  'set',
  'delete',
  'clear',
  'lock',
  'sync',
])
export const BREAKER_STATES: readonly BreakerState[] = allOf<BreakerState>()(['open', 'half-open', 'closed'])
export const HTTP_CACHE_OUTCOMES: readonly HttpCacheOutcome[] = allOf<HttpCacheOutcome>()([
  'hit',
  'stale',
  'revalidated',
  'miss',
  'bypass',
])
export const DB_SYSTEMS: readonly DbSystem[] = allOf<DbSystem>()(['sqlite', 'postgresql'])

/** Tracing channel name -> context of every `tracingChannel` of the house. */
export interface TracingContexts extends HttpTracingChannels, DbTracingChannels, CacheTracingChannels {}
