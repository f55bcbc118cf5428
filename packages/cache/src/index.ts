// Public API of @hotpath/cache.
import { LayeredCache } from './cache.ts'
import type { CacheOptions } from './options.ts'
import type { Cache } from './types.ts'

/** Creates a layered cache (L1 lru-cache, optional L2 Keyv store / Redis, optional Redis bus). */
export function createCache(options?: CacheOptions): Cache {
  return new LayeredCache(options)
}

export {
  CacheClosedError,
  FactoryTimeoutError,
  HotpathError,
  type HotpathErrorOptions,
  InvalidKeyError,
  InvalidOptionError,
  InvalidValueError,
  L2TimeoutError,
  L2UnavailableError,
  UnserializableError,
} from './errors.ts'
export {
  createIdempotencyStore,
  type IdempotencyBegin,
  type IdempotencyOptions,
  type IdempotencyStore,
} from './idempotency.ts'
export type { BreakerState } from './l2/guard.ts'
export type {
  AdaptiveTtlOptions,
  BreakerOptions,
  BusOptions,
  CacheOptions,
  GetOrSetOptions,
  L1Options,
  L2Option,
  MapLikeStore,
  SetOptions,
} from './options.ts'
export type { Cache, CacheStats, FactoryContext, WrapOptions } from './types.ts'
