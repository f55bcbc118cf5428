// Every code @hotpath/cache throws (or publishes on hotpath:cache:l2:error), with when it is thrown.
// The README's `## Errors` table is checked against this registry both ways (test/errors.test.ts).
import type { ErrorCodeOf, ErrorRegistry } from '@hotpath/core'

export const errorCodes: {
  readonly HOTPATH_CACHE_INVALID_OPTION: string
  readonly HOTPATH_CACHE_INVALID_KEY: string
  readonly HOTPATH_CACHE_INVALID_VALUE: string
  readonly HOTPATH_CACHE_UNSERIALIZABLE: string
  readonly HOTPATH_CACHE_CLOSED: string
  readonly HOTPATH_CACHE_FACTORY_TIMEOUT: string
  readonly HOTPATH_CACHE_FACTORY_NULLISH_THROW: string
  readonly HOTPATH_CACHE_L2_TIMEOUT: string
  readonly HOTPATH_CACHE_L2_UNAVAILABLE: string
  readonly HOTPATH_CACHE_L2_NOT_READY: string
  readonly HOTPATH_CACHE_PEER_MISSING: string
  readonly HOTPATH_CACHE_NOT_READY: string
  readonly HOTPATH_CACHE_IDEMPOTENCY_UNAVAILABLE: string
  readonly HOTPATH_CACHE_VALUE_TOO_LARGE: string
  readonly HOTPATH_CACHE_LOCK_UNAVAILABLE: string
  readonly HOTPATH_CACHE_COUNTER_UNAVAILABLE: string
  readonly HOTPATH_CACHE_CLUSTER_ROLE: string
} = {
  HOTPATH_CACHE_INVALID_OPTION:
    'a bad option of createCache, set, getOrSet, wrap, ctx.setTtl or createIdempotencyStore; bad tags; a non-function factory',
  HOTPATH_CACHE_INVALID_KEY:
    'a key that is not a non-empty string or starts with `__hp:`, or wrap() arguments that have no JSON key',
  HOTPATH_CACHE_INVALID_VALUE: 'set(key, undefined)',
  HOTPATH_CACHE_UNSERIALIZABLE: 'a value L2 cannot store (functions, symbols, cycles, `$hp` properties)',
  HOTPATH_CACHE_CLOSED: 'any call after close()',
  HOTPATH_CACHE_FACTORY_TIMEOUT: 'a getOrSet factory passed hardTimeout and there was no stale value',
  HOTPATH_CACHE_FACTORY_NULLISH_THROW:
    'a getOrSet factory threw (or rejected with) null or undefined and there was no stale value',
  HOTPATH_CACHE_L2_TIMEOUT: 'an L2 call passed l2Timeout (published on hotpath:cache:l2:error only)',
  HOTPATH_CACHE_L2_UNAVAILABLE:
    'an L2 call skipped while the breaker is open or the cache closes (hotpath:cache:l2:error only)',
  HOTPATH_CACHE_L2_NOT_READY:
    'an L2 call while the Redis client is reconnecting (hotpath:cache:l2:error only)',
  HOTPATH_CACHE_PEER_MISSING:
    'l2 / bus `{ redisUrl }` without @redis/client installed (hotpath:cache:l2:error / bus error only)',
  HOTPATH_CACHE_NOT_READY: 'ready(): L2 or the bus did not connect within connectTimeout',
  HOTPATH_CACHE_LOCK_UNAVAILABLE:
    "getOrSet({ lock: true }) with lockFallback 'fail' when the lock cannot be taken (L2 failed or the wait passed lockTtl)",
  HOTPATH_CACHE_IDEMPOTENCY_UNAVAILABLE:
    'idempotency begin() while L2 times out, the breaker is open or Redis is down (fail closed)',
  HOTPATH_CACHE_COUNTER_UNAVAILABLE:
    'increment() while L2 times out, the breaker is open or Redis is down, or on an L2 store without atomic increments (Keyv)',
  HOTPATH_CACHE_VALUE_TOO_LARGE:
    'an L2 value over maxValueBytes was skipped (hotpath:cache:l2:error only, never a breaker failure)',
  HOTPATH_CACHE_CLUSTER_ROLE:
    'clusterBus() in a process that is not a node:cluster worker (no IPC channel), or clusterBusRelay() outside the primary',
} satisfies ErrorRegistry

/** A code @hotpath/cache throws. */
export type CacheErrorCode = ErrorCodeOf<typeof errorCodes>
