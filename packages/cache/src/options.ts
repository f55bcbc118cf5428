// Public option types and their validation (once, at construction), through @hotpath/core's optionChecks.
import { type Clock, optionChecks, type OptionChecks } from '@hotpath/core'
import type { Keyv, KeyvStoreAdapter } from 'keyv'
import type { BusTransport } from './bus-transport.ts'
import { type CompressConfig, HAS_ZSTD } from './compress.ts'
import { INVALID_OPTION } from './errors.ts'
import type { RedisTarget } from './l2/redis.ts'

/** The option validators of this package (they throw InvalidOptionError HOTPATH_CACHE_INVALID_OPTION). */
export const checks: OptionChecks = optionChecks(INVALID_OPTION)

/** A required number > 0 (per-call values such as ctx.setTtl(ms), where undefined is no default). */
export function requirePositive(option: string, value: unknown): number {
  if (value === undefined) checks.fail(option, value, 'a finite number > 0')
  return checks.positive(option, value) as number
}

/** L1 (in-process) options. */
export interface L1Options {
  /**
   * Eviction / admission policy: 'tinylfu' (W-TinyLFU: a 1 % LRU window, a segmented LRU main area and a
   * frequency sketch that keeps one-time keys from evicting popular ones) or 'lru' (lru-cache). Default 'tinylfu'.
   */
  policy?: 'tinylfu' | 'lru'
  /** Maximum number of entries. Default 10_000. */
  max?: number
  /** Byte bound; entry sizes come from `sizeCalculation` or an estimate. Default 64 MiB. */
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

/** Compression of large L2 payloads (node:zlib). */
export interface L2CompressOptions {
  /** Payloads (the value's string / JSON) of at least this many UTF-8 bytes are compressed. Default 1024. */
  minBytes?: number
  /** 'zstd' (default; gzip on a Node without zstd) or 'gzip'. */
  codec?: 'zstd' | 'gzip'
}

interface RedisL2Common {
  /** Compress large entries (`true`: the defaults). Entries written either way read back. Default off. */
  compress?: boolean | L2CompressOptions
}

/** L2 on a Redis server, or a Redis Cluster, that the cache connects to itself. */
export type RedisL2Options =
  | (RedisL2Common & { redisUrl: string })
  | (RedisL2Common & {
      /** Root node URLs of a Redis Cluster (a few of its nodes; the others are discovered). */
      redisCluster: readonly string[]
    })

export type L2Option = KeyvStoreAdapter | Keyv | MapLikeStore | RedisL2Options

export interface BreakerOptions {
  /** Consecutive L2 failures (errors or timeouts) that open the breaker. Default 5. */
  threshold?: number
  /** How long the breaker stays open before a few trial calls are let through (ms). Default 500. */
  halfOpenAfter?: number
}

/** Where the invalidation bus runs: exactly one of `redisUrl`, `redisCluster` or `transport`. */
export interface BusOptions {
  /** Redis URL of the pub/sub invalidation bus. */
  redisUrl?: string
  /** Root node URLs of a Redis Cluster carrying the bus (PUBLISH reaches subscribers on every node). */
  redisCluster?: readonly string[]
  /** Another transport: `clusterBus()` (node:cluster IPC, relayed by the primary's clusterBusRelay()). */
  transport?: BusTransport
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
  /** L2: any Keyv store adapter, a Keyv instance (its store is used), a Map, `{ redisUrl }` or `{ redisCluster }`. */
  l2?: L2Option
  /** Deadline of every L2 call (ms). Default 50. */
  l2Timeout?: number
  /** Deadline of the first connect of L2 / the bus (ready(); calls made before it wait for it) (ms). Default 5_000. */
  connectTimeout?: number
  /** How long close() waits for pending L2 writes and bus messages before disconnecting (ms). Default 2_000. */
  closeTimeout?: number
  /** Largest L2 value written or read (bytes of its envelope); larger ones are skipped. Default 1 MiB. */
  maxValueBytes?: number
  /** L2 circuit breaker. */
  breaker?: BreakerOptions
  /** Invalidation bus shared by instances with the same namespace: Redis pub/sub or clusterBus(). */
  bus?: BusOptions
  /** Adaptive TTL for getOrSet refreshes. */
  adaptiveTtl?: AdaptiveTtlOptions
  /** TTL of the distributed lock of `getOrSet(..., { lock: true })` (ms). Default 10_000. */
  lockTtl?: number
  /** How often a lock waiter polls L2 for the value (ms). Default 20. */
  lockPollInterval?: number
  /**
   * What getOrSet({ lock: true }) does when the lock cannot be taken because L2 fails (timeout, breaker
   * open, Redis down) or a waiter waited lockTtl: 'run' the factory unlocked at once, 'wait' (retry every
   * lockPollInterval up to lockTtl, then run unlocked), or 'fail' (reject with LockUnavailableError; a
   * stale value is served instead when there is one). Counted in stats().locks.fallback. Default 'wait'.
   */
  lockFallback?: 'run' | 'wait' | 'fail'
  /** While a factory keeps failing during grace, retry it at most once per this long (ms). Default 10_000. */
  graceBackoff?: number
  /**
   * How long invalidation timestamps (tags, clear generation) read from L2 are trusted before they are
   * read again, when no bus is connected (ms). Default 1_000. With a connected bus they are pushed.
   */
  invalidationSyncInterval?: number
  /**
   * Where the cache reads time: `now()` (monotonic ms) for TTLs, grace, deadlines and lock waits,
   * `epoch()` (wall ms) for expiry times and invalidation stamps shared through L2. Default
   * `systemClock` of @hotpath/core (Vitest fake timers drive it). Timers (timeouts, lock polls) are
   * still `setTimeout`s: a manual clock suits tests that advance it between awaited calls.
   */
  clock?: Clock
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
        policy: 'tinylfu' | 'lru'
        max: number
        maxBytes: number | undefined
        sizeCalculation: ((value: unknown, key: string) => number) | undefined
      }
    | undefined
  l2: L2Option | undefined
  /** Compression of L2 payloads (`l2: { redisUrl, compress }`), undefined when off. */
  compress: CompressConfig | undefined
  l2Timeout: number
  connectTimeout: number
  closeTimeout: number
  maxValueBytes: number
  breakerThreshold: number
  breakerHalfOpenAfter: number
  /** The bus: on Redis (`target`) or on a transport. */
  bus:
    | { target: RedisTarget; transport: undefined; channel: string }
    | { target: undefined; transport: BusTransport; channel: string }
    | undefined
  adaptiveTtl: AdaptiveTtlOptions | undefined
  lockTtl: number
  lockPollInterval: number
  lockFallback: 'run' | 'wait' | 'fail'
  graceBackoff: number
  invalidationSyncInterval: number
  clock: Clock
}

const REDIS_URL = 'a redis:// or rediss:// URL string'

function checkUrl(name: string, value: unknown): string {
  let url: URL | undefined
  if (typeof value === 'string') {
    try {
      url = new URL(value)
    } catch {
      url = undefined
    }
  }
  if (url === undefined || (url.protocol !== 'redis:' && url.protocol !== 'rediss:')) {
    checks.fail(name, value, REDIS_URL)
  }
  return value as string
}

/** A non-empty array of redis:// URLs: the root nodes of a cluster. */
function checkClusterUrls(name: string, value: unknown): readonly string[] {
  if (!Array.isArray(value) || value.length === 0)
    checks.fail(name, value, `a non-empty array of ${REDIS_URL}s`)
  return (value as unknown[]).map((url, i) => checkUrl(`${name}[${i}]`, url))
}

const knownOptions: readonly string[] = [
  'namespace',
  'ttl',
  'grace',
  'l1',
  'l2',
  'l2Timeout',
  'connectTimeout',
  'closeTimeout',
  'maxValueBytes',
  'breaker',
  'bus',
  'adaptiveTtl',
  'lockTtl',
  'lockPollInterval',
  'lockFallback',
  'graceBackoff',
  'invalidationSyncInterval',
  'clock',
]

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x)
}

/** Default L1 policy (issue 12: tinylfu, as its get met the cost target in the cache bench). */
export const DEFAULT_POLICY: 'tinylfu' | 'lru' = 'tinylfu'

/** Default byte bound of L1 (estimated sizes): 64 MiB. */
export const DEFAULT_MAX_BYTES: number = 64 * 1024 * 1024

function resolveL1(value: unknown): ResolvedOptions['l1'] {
  if (value === false) return undefined
  if (value === undefined) {
    return { policy: DEFAULT_POLICY, max: 10_000, maxBytes: DEFAULT_MAX_BYTES, sizeCalculation: undefined }
  }
  if (!isPlainObject(value))
    checks.fail('l1', value, 'an object { policy, max, maxBytes, sizeCalculation } or false')
  const l1 = checks.object('l1', value, ['policy', 'max', 'maxBytes', 'sizeCalculation'])!
  return {
    policy: checks.oneOf('l1.policy', l1.policy, ['tinylfu', 'lru'] as const, DEFAULT_POLICY),
    max: checks.integer('l1.max', l1.max, 10_000, 1),
    maxBytes: checks.integer('l1.maxBytes', l1.maxBytes, DEFAULT_MAX_BYTES, 1),
    sizeCalculation: checks.func<(value: unknown, key: string) => number>(
      'l1.sizeCalculation',
      l1.sizeCalculation,
    ),
  }
}

function resolveL2(s: unknown): L2Option | undefined {
  if (s === undefined) return undefined
  if (isPlainObject(s) && 'redisUrl' in s) {
    checks.object('l2', s, ['redisUrl', 'compress'])
    checkUrl('l2.redisUrl', s.redisUrl)
    return s as unknown as RedisL2Options
  }
  if (isPlainObject(s) && 'redisCluster' in s) {
    checks.object('l2', s, ['redisCluster', 'compress'])
    return { ...s, redisCluster: checkClusterUrls('l2.redisCluster', s.redisCluster) } as RedisL2Options
  }
  if (
    typeof s === 'object' &&
    s !== null &&
    typeof (s as MapLikeStore).get === 'function' &&
    typeof (s as MapLikeStore).set === 'function' &&
    typeof (s as MapLikeStore).delete === 'function'
  ) {
    return s as L2Option
  }
  return checks.fail(
    'l2',
    s,
    'a Keyv store adapter, a Keyv instance, a Map, { redisUrl } or { redisCluster }',
  )
}

function resolveCompress(l2: L2Option | undefined): CompressConfig | undefined {
  if (l2 === undefined || !('redisUrl' in l2 || 'redisCluster' in l2)) return undefined
  const c = l2.compress
  if (c === undefined || c === false) return undefined
  const o = c === true ? {} : checks.object('l2.compress', c, ['minBytes', 'codec'])
  if (o === undefined) return checks.fail('l2.compress', c, 'true, false or { minBytes, codec }')
  const codec = checks.oneOf('l2.compress.codec', o.codec, ['zstd', 'gzip'] as const, 'zstd')
  return {
    minBytes: checks.integer('l2.compress.minBytes', o.minBytes, 1024, 0),
    // zstd where this Node has it, else gzip (both read back on any Node that has the codec)
    codec: codec === 'zstd' && !HAS_ZSTD ? 'gzip' : codec,
  }
}

function isTransport(x: unknown): x is BusTransport {
  return isPlainObject(x) && typeof x.kind === 'string' && typeof x.open === 'function'
}

function resolveBus(value: unknown, namespace: string): ResolvedOptions['bus'] {
  const b = checks.object('bus', value, ['redisUrl', 'redisCluster', 'transport', 'channel'])
  if (b === undefined) return undefined
  const channel = checks.string('bus.channel', b.channel, `hotpath:cache:bus:${namespace}`)
  if (b.transport !== undefined) {
    if (b.redisUrl !== undefined || b.redisCluster !== undefined) {
      checks.fail(
        'bus.transport',
        b.transport,
        'absent when bus.redisUrl or bus.redisCluster is set (exactly one of them)',
      )
    }
    if (!isTransport(b.transport)) checks.fail('bus.transport', b.transport, 'a bus transport (clusterBus())')
    return { target: undefined, transport: b.transport, channel }
  }
  if (b.redisUrl !== undefined && b.redisCluster !== undefined) {
    checks.fail('bus.redisCluster', b.redisCluster, 'absent when bus.redisUrl is set (one or the other)')
  }
  return {
    target:
      b.redisCluster !== undefined
        ? checkClusterUrls('bus.redisCluster', b.redisCluster)
        : checkUrl('bus.redisUrl', b.redisUrl),
    transport: undefined,
    channel,
  }
}

export function resolveOptions(options: unknown): ResolvedOptions {
  if (options === undefined) options = {}
  if (!isPlainObject(options)) checks.fail('options', options, 'an object')
  const o = options as Record<string, unknown>
  for (const k of Object.keys(o)) {
    if (!knownOptions.includes(k)) checks.fail(k, o[k], `a known option (${knownOptions.join(', ')})`)
  }
  const namespace = o.namespace ?? 'hotpath'
  if (typeof namespace !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(namespace)) {
    checks.fail('namespace', namespace, 'a string of 1-64 characters [A-Za-z0-9_.-]')
  }

  const bus = resolveBus(o.bus, namespace as string)

  let adaptiveTtl: AdaptiveTtlOptions | undefined
  const adaptive = checks.object('adaptiveTtl', o.adaptiveTtl, ['min', 'max'])
  if (adaptive !== undefined) {
    const min = requirePositive('adaptiveTtl.min', adaptive.min)
    const max = requirePositive('adaptiveTtl.max', adaptive.max)
    if (max < min) checks.fail('adaptiveTtl.max', max, `a number >= adaptiveTtl.min (${min})`)
    adaptiveTtl = { min, max }
  }

  const breaker = checks.object('breaker', o.breaker, ['threshold', 'halfOpenAfter'])

  return {
    namespace: namespace as string,
    ttl: checks.positive('ttl', o.ttl, 60_000),
    grace: checks.nonNegative('grace', o.grace, 0),
    l1: resolveL1(o.l1),
    l2: resolveL2(o.l2),
    compress: resolveCompress(o.l2 as L2Option | undefined),
    l2Timeout: checks.positive('l2Timeout', o.l2Timeout, 50),
    connectTimeout: checks.positive('connectTimeout', o.connectTimeout, 5_000),
    closeTimeout: checks.nonNegative('closeTimeout', o.closeTimeout, 2_000),
    maxValueBytes: checks.integer('maxValueBytes', o.maxValueBytes, 1024 * 1024, 1),
    breakerThreshold: checks.integer('breaker.threshold', breaker?.threshold, 5, 1),
    breakerHalfOpenAfter: checks.positive('breaker.halfOpenAfter', breaker?.halfOpenAfter, 500),
    bus,
    adaptiveTtl,
    lockTtl: checks.positive('lockTtl', o.lockTtl, 10_000),
    lockPollInterval: checks.positive('lockPollInterval', o.lockPollInterval, 20),
    lockFallback: checks.oneOf('lockFallback', o.lockFallback, ['run', 'wait', 'fail'] as const, 'wait'),
    graceBackoff: checks.nonNegative('graceBackoff', o.graceBackoff, 10_000),
    invalidationSyncInterval: checks.nonNegative(
      'invalidationSyncInterval',
      o.invalidationSyncInterval,
      1_000,
    ),
    clock: checks.clock('clock', o.clock),
  }
}
