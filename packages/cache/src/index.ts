// Public API of @hotpath/cache.
import { LayeredCache } from './cache.ts'
import type { CacheOptions } from './options.ts'
import type { Cache } from './types.ts'

/** Creates a layered cache (L1 W-TinyLFU or lru-cache, optional L2 Keyv store / Redis, optional Redis or node:cluster bus). */
export function createCache(options?: CacheOptions): Cache {
  return new LayeredCache(options)
}

export {
  type Clock,
  HotpathError,
  type HotpathErrorOptions,
  InvalidOptionError,
  isHotpathError,
  systemClock,
} from '@hotpath/core'
export type {
  BreakerState,
  BusMessageType,
  CacheBreakerEvent,
  CacheBusEvent,
  CacheChannelPayloads,
  CacheDeleteEvent,
  CacheEvictEvent,
  CacheFactoryEvent,
  CacheFactoryTraceContext,
  CacheGetEvent,
  CacheL2ErrorEvent,
  CacheSetEvent,
  CacheTier,
  CacheTracingChannels,
  L2Operation,
} from './channels.ts'
export type { BusConnection, BusTransport, BusTransportHooks } from './bus-transport.ts'
export { clusterBus } from './cluster-bus.ts'
export {
  type ClusterBusRelay,
  type ClusterBusRelayOptions,
  type ClusterBusRelayStats,
  clusterBusRelay,
} from './cluster-relay.ts'
export { type CacheErrorCode, errorCodes } from './error-codes.ts'
export {
  CacheClosedError,
  CacheError,
  CacheNotReadyError,
  ClusterRoleError,
  CounterUnavailableError,
  IdempotencyUnavailableError,
  FactoryNullishThrowError,
  FactoryTimeoutError,
  LockUnavailableError,
  InvalidKeyError,
  InvalidValueError,
  L2NotReadyError,
  L2TimeoutError,
  L2UnavailableError,
  PeerMissingError,
  ValueTooLargeError,
  UnserializableError,
} from './errors.ts'
export {
  createIdempotencyStore,
  type IdempotencyBegin,
  type IdempotencyOptions,
  type IdempotencyStore,
} from './idempotency.ts'
export type {
  AdaptiveTtlOptions,
  BreakerOptions,
  BusOptions,
  CacheOptions,
  GetOrSetOptions,
  L1Options,
  L2CompressOptions,
  L2Option,
  MapLikeStore,
  RedisL2Options,
  SetOptions,
} from './options.ts'
export type { Cache, CacheStats, FactoryContext, SetManyEntry, WrapOptions } from './types.ts'
export type { IncrementOptions } from './counter.ts'
