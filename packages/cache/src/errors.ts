// Coded errors of @hotpath/cache: subclasses of @hotpath/core's HotpathError, one code each (see
// error-codes.ts). Option errors are core's InvalidOptionError with HOTPATH_CACHE_INVALID_OPTION.
import { describe, HotpathError, type HotpathErrorOptions, nameErrorClass } from '@hotpath/core'
import type { CacheErrorCode } from './error-codes.ts'

/** The invalid-option code of this package (for core's InvalidOptionError / optionChecks). */
export const INVALID_OPTION: CacheErrorCode = 'HOTPATH_CACHE_INVALID_OPTION'

/** Base class of the errors of this package: accepts only the codes of its registry. */
export class CacheError extends HotpathError {
  declare readonly code: CacheErrorCode
  constructor(code: CacheErrorCode, message: string, options?: HotpathErrorOptions) {
    super(code, message, options)
  }
  static {
    nameErrorClass(CacheError, 'CacheError')
  }
}

/** A key that is not a non-empty string, or uses the reserved `__hp:` prefix. */
export class InvalidKeyError extends CacheError {
  constructor(key: unknown, reason = 'expected a non-empty string', cause?: unknown) {
    super('HOTPATH_CACHE_INVALID_KEY', `invalid cache key: received ${describe(key)}, ${reason}`, {
      cause,
      details: { reason },
    })
  }
  static {
    nameErrorClass(InvalidKeyError, 'InvalidKeyError')
  }
}

/** A value the cache cannot store (undefined). */
export class InvalidValueError extends CacheError {
  constructor(key: string, value: unknown) {
    super(
      'HOTPATH_CACHE_INVALID_VALUE',
      `invalid value for key ${describe(key)}: received ${describe(value)}, expected anything but undefined`,
      { details: { key } },
    )
  }
  static {
    nameErrorClass(InvalidValueError, 'InvalidValueError')
  }
}

/** A value that cannot be serialized for L2 (functions, symbols, circular structures, ...). */
export class UnserializableError extends CacheError {
  constructor(key: string, reason: string, cause?: unknown) {
    super(
      'HOTPATH_CACHE_UNSERIALIZABLE',
      `value for key ${describe(key)} cannot be serialized for L2: ${reason}`,
      {
        cause,
        details: { key, reason },
      },
    )
  }
  static {
    nameErrorClass(UnserializableError, 'UnserializableError')
  }
}

/** Work submitted after close(). */
export class CacheClosedError extends CacheError {
  constructor(namespace: string) {
    super('HOTPATH_CACHE_CLOSED', `cache ${describe(namespace)} is closed`, { details: { cache: namespace } })
  }
  static {
    nameErrorClass(CacheClosedError, 'CacheClosedError')
  }
}

/** The factory of getOrSet did not settle within hardTimeout and there was no stale value to serve. */
export class FactoryTimeoutError extends CacheError {
  constructor(key: string, timeout: number) {
    super('HOTPATH_CACHE_FACTORY_TIMEOUT', `factory for key ${describe(key)} timed out after ${timeout} ms`, {
      details: { key, timeout },
    })
  }
  static {
    nameErrorClass(FactoryTimeoutError, 'FactoryTimeoutError')
  }
}

/** getOrSet({ lock: true }) with lockFallback 'fail' could not take the lock (L2 failed or the wait timed out). */
export class LockUnavailableError extends CacheError {
  constructor(key: string, cause: unknown) {
    super(
      'HOTPATH_CACHE_LOCK_UNAVAILABLE',
      `the lock of key ${describe(key)} could not be taken (lockFallback 'fail')`,
      {
        cause,
        details: { key },
      },
    )
  }
  static {
    nameErrorClass(LockUnavailableError, 'LockUnavailableError')
  }
}

/** The factory of getOrSet threw or rejected with null / undefined (the thrown value is `details.thrown`). */
export class FactoryNullishThrowError extends CacheError {
  constructor(key: string, thrown: null | undefined) {
    super(
      'HOTPATH_CACHE_FACTORY_NULLISH_THROW',
      `factory for key ${describe(key)} threw ${describe(thrown)}`,
      {
        details: { key, thrown },
      },
    )
  }
  static {
    nameErrorClass(FactoryNullishThrowError, 'FactoryNullishThrowError')
  }
}

/** An L2 call passed its deadline (internal: L2 failures never reach callers of get/set). */
export class L2TimeoutError extends CacheError {
  constructor(operation: string, timeout: number) {
    super('HOTPATH_CACHE_L2_TIMEOUT', `L2 ${operation} timed out after ${timeout} ms`, {
      details: { operation, timeout },
    })
  }
  static {
    nameErrorClass(L2TimeoutError, 'L2TimeoutError')
  }
}

/** The L2 circuit breaker is open, or the cache is closing (internal). */
export class L2UnavailableError extends CacheError {
  constructor(operation: string, reason = 'circuit breaker is open') {
    super('HOTPATH_CACHE_L2_UNAVAILABLE', `L2 ${operation} skipped: ${reason}`, {
      details: { operation, reason },
    })
  }
  static {
    nameErrorClass(L2UnavailableError, 'L2UnavailableError')
  }
}

/** The Redis client of L2 lost its connection and is reconnecting (internal). */
export class L2NotReadyError extends CacheError {
  constructor() {
    super('HOTPATH_CACHE_L2_NOT_READY', 'Redis client is not connected (reconnecting)')
  }
  static {
    nameErrorClass(L2NotReadyError, 'L2NotReadyError')
  }
}

/** An optional peer dependency the configuration needs is not installed. */
export class PeerMissingError extends CacheError {
  constructor(peer: string, option: string, cause?: unknown) {
    super('HOTPATH_CACHE_PEER_MISSING', `${option} needs ${peer}: npm i ${peer}`, {
      cause,
      details: { peer, option },
    })
  }
  static {
    nameErrorClass(PeerMissingError, 'PeerMissingError')
  }
}

/** ready(): L2 or the bus did not connect within connectTimeout. */
export class CacheNotReadyError extends CacheError {
  constructor(namespace: string, timeout: number, cause?: unknown) {
    super('HOTPATH_CACHE_NOT_READY', `cache ${describe(namespace)} did not connect within ${timeout} ms`, {
      cause,
      details: { cache: namespace, timeout },
    })
  }
  static {
    nameErrorClass(CacheNotReadyError, 'CacheNotReadyError')
  }
}

/** An idempotency begin() could not be decided (L2 timeout, breaker open, Redis down): fail closed. */
export class IdempotencyUnavailableError extends CacheError {
  constructor(key: string, cause?: unknown) {
    super(
      'HOTPATH_CACHE_IDEMPOTENCY_UNAVAILABLE',
      `idempotency key ${describe(key)}: L2 did not answer, the request's state is unknown (not started)`,
      { cause, details: { key } },
    )
  }
  static {
    nameErrorClass(IdempotencyUnavailableError, 'IdempotencyUnavailableError')
  }
}

/** increment() could not count: L2 did not answer, or its store cannot increment atomically. */
export class CounterUnavailableError extends CacheError {
  constructor(key: string, reason: string, cause?: unknown) {
    super('HOTPATH_CACHE_COUNTER_UNAVAILABLE', `counter ${describe(key)}: ${reason}`, {
      cause,
      details: { key },
    })
  }
  static {
    nameErrorClass(CounterUnavailableError, 'CounterUnavailableError')
  }
}

/** An L2 value over maxValueBytes: skipped (not written / a miss), published on hotpath:cache:l2:error. */
export class ValueTooLargeError extends CacheError {
  constructor(key: string, bytes: number, limit: number) {
    super(
      'HOTPATH_CACHE_VALUE_TOO_LARGE',
      `L2 value of key ${describe(key)} has ${bytes} bytes, over maxValueBytes (${limit})`,
      { details: { key, bytes, limit } },
    )
  }
  static {
    nameErrorClass(ValueTooLargeError, 'ValueTooLargeError')
  }
}

/** clusterBus() outside a node:cluster worker (no IPC channel to a primary), or clusterBusRelay() outside the primary. */
export class ClusterRoleError extends CacheError {
  constructor(needed: 'worker' | 'primary') {
    super(
      'HOTPATH_CACHE_CLUSTER_ROLE',
      needed === 'worker'
        ? 'clusterBus() needs a node:cluster worker (a process with an IPC channel to the primary); use bus: { redisUrl } elsewhere'
        : 'clusterBusRelay() runs in the node:cluster primary (cluster.isPrimary)',
      { details: { needed } },
    )
  }
  static {
    nameErrorClass(ClusterRoleError, 'ClusterRoleError')
  }
}
