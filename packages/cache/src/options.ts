// Public option types and their validation (once, at construction).
import type { Keyv, KeyvStoreAdapter } from 'keyv'
import { InvalidOptionError } from './errors.ts'

/** L1 (in-process lru-cache) options. */
export interface L1Options {
  /** Maximum number of entries. Default 10_000. */
  max?: number
  /** Optional byte bound; entry sizes come from `sizeCalculation` or an estimate. */
  maxBytes?: number
  /** Size of one entry in bytes (only used with `maxBytes`). */
  sizeCalculation?: (value: unknown, key: string) => number
}

/** A Map-like store (a plain `Map` works; Keyv's own memory store is one). */
export interface MapLikeStore {
  get(key: string): unknown
  set(key: string, value: unknown, ttl?: number): unknown
  delete(key: string): unknown
}

export type L2Option = KeyvStoreAdapter | Keyv | MapLikeStore | { redisUrl: string }

export interface BreakerOptions {
  /** Consecutive L2 failures (errors or timeouts) that open the breaker. Default 5. */
  threshold?: number
  /** How long the breaker stays open before one probe call is let through (ms). Default 2_000. */
  halfOpenAfter?: number
}

export interface BusOptions {
  /** Redis URL of the pub/sub invalidation bus. */
  redisUrl: string
  /** Channel name; default `hotpath:cache:bus:<namespace>`. */
  channel?: string
}

export interface AdaptiveTtlOptions {
  /** Lower bound of the adaptive TTL (ms). */
  min: number
  /** Upper bound of the adaptive TTL (ms). */
  max: number
}

export interface CacheOptions {
  /** Name of this cache; keys in L2 are `<namespace>:<key>`. Default 'hotpath'. */
  namespace?: string
  /** Default TTL in ms. Default 60_000. */
  ttl?: number
  /** Default grace period after expiry during which getOrSet may serve stale values (ms). Default 0. */
  grace?: number
  /** L1 options, or false for no L1. */
  l1?: L1Options | false
  /** L2: any Keyv store adapter, a Keyv instance (its store is used), a Map, or `{ redisUrl }`. */
  l2?: L2Option
  /** Deadline of every L2 call (ms). Default 50. */
  l2Timeout?: number
  /** L2 circuit breaker. */
  breaker?: BreakerOptions
  /** Redis pub/sub invalidation bus shared by instances with the same namespace. */
  bus?: BusOptions
  /** Adaptive TTL for getOrSet refreshes. */
  adaptiveTtl?: AdaptiveTtlOptions
  /** TTL of the distributed lock of `getOrSet(..., { lock: true })` (ms). Default 10_000. */
  lockTtl?: number
  /** How often a lock waiter polls L2 for the value (ms). Default 20. */
  lockPollInterval?: number
  /**
   * How long invalidation timestamps (tags, clear generation) read from L2 are trusted before they are
   * read again, when no bus is connected (ms). Default 1_000. With a connected bus they are pushed.
   */
  invalidationSyncInterval?: number
}

export interface SetOptions {
  /** TTL in ms (> 0). Default: the cache's ttl. */
  ttl?: number
  /** Grace period after expiry (ms, >= 0). Default: the cache's grace. */
  grace?: number
  /** Tags for invalidateTags(). */
  tags?: string[]
}

export interface GetOrSetOptions extends SetOptions {
  /** With a stale value available: return it when the factory takes longer than this (ms). */
  softTimeout?: number
  /** Give up on the factory after this long (ms): serve stale if any, else reject. */
  hardTimeout?: number
  /** Run the factory once across all instances sharing Redis (SET NX PX lock). */
  lock?: boolean
}

export interface ResolvedOptions {
  namespace: string
  ttl: number
  grace: number
  l1:
    | {
        max: number
        maxBytes: number | undefined
        sizeCalculation: ((value: unknown, key: string) => number) | undefined
      }
    | undefined
  l2: L2Option | undefined
  l2Timeout: number
  breakerThreshold: number
  breakerHalfOpenAfter: number
  bus: { redisUrl: string; channel: string } | undefined
  adaptiveTtl: AdaptiveTtlOptions | undefined
  lockTtl: number
  lockPollInterval: number
  invalidationSyncInterval: number
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x)
}

export function checkPositive(name: string, value: unknown, allowZero = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || (allowZero ? value < 0 : value <= 0)) {
    throw new InvalidOptionError(name, value, allowZero ? 'a finite number >= 0' : 'a finite number > 0')
  }
  return value
}

function optPositive(name: string, value: unknown, fallback: number, allowZero = false): number {
  return value === undefined ? fallback : checkPositive(name, value, allowZero)
}

function checkInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidOptionError(name, value, 'an integer >= 1')
  }
  return value
}

function checkUrl(name: string, value: unknown): string {
  if (typeof value !== 'string')
    throw new InvalidOptionError(name, value, 'a redis:// or rediss:// URL string')
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InvalidOptionError(name, value, 'a redis:// or rediss:// URL string')
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new InvalidOptionError(name, value, 'a redis:// or rediss:// URL string')
  }
  return value
}

const knownOptions = new Set([
  'namespace',
  'ttl',
  'grace',
  'l1',
  'l2',
  'l2Timeout',
  'breaker',
  'bus',
  'adaptiveTtl',
  'lockTtl',
  'lockPollInterval',
  'invalidationSyncInterval',
])

export function resolveOptions(options: unknown): ResolvedOptions {
  if (options === undefined) options = {}
  if (!isPlainObject(options)) throw new InvalidOptionError('options', options, 'an object')
  for (const k of Object.keys(options)) {
    if (!knownOptions.has(k))
      throw new InvalidOptionError(k, options[k], `a known option (${[...knownOptions].join(', ')})`)
  }
  const o = options as CacheOptions
  const namespace = o.namespace ?? 'hotpath'
  if (typeof namespace !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(namespace)) {
    throw new InvalidOptionError('namespace', namespace, 'a string of 1-64 characters [A-Za-z0-9_.-]')
  }
  const ttl = optPositive('ttl', o.ttl, 60_000)
  const grace = optPositive('grace', o.grace, 0, true)

  let l1: ResolvedOptions['l1']
  if (o.l1 === false) l1 = undefined
  else if (o.l1 === undefined) l1 = { max: 10_000, maxBytes: undefined, sizeCalculation: undefined }
  else if (!isPlainObject(o.l1)) throw new InvalidOptionError('l1', o.l1, 'an object or false')
  else {
    const sizeCalculation = o.l1.sizeCalculation
    if (sizeCalculation !== undefined && typeof sizeCalculation !== 'function') {
      throw new InvalidOptionError('l1.sizeCalculation', sizeCalculation, 'a function (value, key) => bytes')
    }
    l1 = {
      max: checkInteger('l1.max', o.l1.max, 10_000),
      maxBytes: o.l1.maxBytes === undefined ? undefined : checkInteger('l1.maxBytes', o.l1.maxBytes, 1),
      sizeCalculation: sizeCalculation as ((value: unknown, key: string) => number) | undefined,
    }
  }

  let l2: L2Option | undefined
  if (o.l2 !== undefined) {
    const s = o.l2 as unknown
    if (isPlainObject(s) && 'redisUrl' in s) {
      checkUrl('l2.redisUrl', s.redisUrl)
      l2 = s as { redisUrl: string }
    } else if (
      typeof s === 'object' &&
      s !== null &&
      typeof (s as MapLikeStore).get === 'function' &&
      typeof (s as MapLikeStore).set === 'function' &&
      typeof (s as MapLikeStore).delete === 'function'
    ) {
      l2 = s as L2Option
    } else {
      throw new InvalidOptionError('l2', s, 'a Keyv store adapter, a Keyv instance, a Map or { redisUrl }')
    }
  }

  let bus: ResolvedOptions['bus']
  if (o.bus !== undefined) {
    if (!isPlainObject(o.bus)) throw new InvalidOptionError('bus', o.bus, 'an object { redisUrl }')
    const channel = o.bus.channel ?? `hotpath:cache:bus:${namespace}`
    if (typeof channel !== 'string' || channel.length === 0) {
      throw new InvalidOptionError('bus.channel', channel, 'a non-empty string')
    }
    bus = { redisUrl: checkUrl('bus.redisUrl', o.bus.redisUrl), channel }
  }

  let adaptiveTtl: AdaptiveTtlOptions | undefined
  if (o.adaptiveTtl !== undefined) {
    if (!isPlainObject(o.adaptiveTtl))
      throw new InvalidOptionError('adaptiveTtl', o.adaptiveTtl, 'an object { min, max }')
    const min = checkPositive('adaptiveTtl.min', o.adaptiveTtl.min)
    const max = checkPositive('adaptiveTtl.max', o.adaptiveTtl.max)
    if (max < min)
      throw new InvalidOptionError('adaptiveTtl.max', max, `a number >= adaptiveTtl.min (${min})`)
    adaptiveTtl = { min, max }
  }

  if (o.breaker !== undefined && !isPlainObject(o.breaker)) {
    throw new InvalidOptionError('breaker', o.breaker, 'an object { threshold, halfOpenAfter }')
  }

  return {
    namespace,
    ttl,
    grace,
    l1,
    l2,
    l2Timeout: optPositive('l2Timeout', o.l2Timeout, 50),
    breakerThreshold: checkInteger('breaker.threshold', o.breaker?.threshold, 5),
    breakerHalfOpenAfter: optPositive('breaker.halfOpenAfter', o.breaker?.halfOpenAfter, 2_000),
    bus,
    adaptiveTtl,
    lockTtl: optPositive('lockTtl', o.lockTtl, 10_000),
    lockPollInterval: optPositive('lockPollInterval', o.lockPollInterval, 20),
    invalidationSyncInterval: optPositive(
      'invalidationSyncInterval',
      o.invalidationSyncInterval,
      1_000,
      true,
    ),
  }
}
