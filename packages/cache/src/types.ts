// Public types of the cache object.
import type { BreakerState } from './channels.ts'
import type { IncrementOptions } from './counter.ts'
import type { GetOrSetOptions, SetOptions } from './options.ts'

/** What a getOrSet factory receives. */
export interface FactoryContext {
  readonly key: string
  /** The stale value being refreshed, if any (grace). */
  readonly stale?: unknown
  /** Overrides the TTL of the value this factory returns (ms > 0). */
  setTtl(ms: number): void
  /** Do not cache the value this factory returns. */
  skip(): void
}

export interface WrapOptions<A extends unknown[]> {
  /** Cache key of a call; default `wrap:<fn.name>:<type-tagged encoding of the arguments>` (SHA-256 when long). */
  key?: (...args: A) => string
  ttl?: number
  grace?: number
  tags?: string[]
}

export interface CacheStats {
  kind: 'cache'
  name: string
  l1Hits: number
  l2Hits: number
  misses: number
  staleServed: number
  sets: number
  deletes: number
  evictions: { evict: number; expire: number; set: number; delete: number }
  /** 'tinylfu' L1: window entries let into the main area / turned away by the frequency filter (0 with 'lru'). */
  admissions: number
  rejections: number
  factoryCalls: number
  factoryErrors: number
  factoryTimeouts: number
  coalesced: number
  l2Errors: number
  l2Timeouts: number
  /** Corrupt or foreign L2 values met (each counted as a miss and deleted). */
  l2Corrupt: number
  breaker: BreakerState
  entries: number
  bytes: number
  adaptive: { grew: number; shrank: number }
  locks: { acquired: number; waited: number; fallback: number }
  bus:
    | {
        connected: boolean
        published: number
        received: number
        reconnects: number
        errors: number
        /** Published after their L2 write failed. */
        afterL2Failure: number
        /** Queued while disconnected / dropped past the queue bound. */
        queued: number
        dropped: number
      }
    | undefined
}

/** One entry of setMany(): its key and value, with the options of set(). */
export interface SetManyEntry<T> extends SetOptions {
  key: string
  value: T
}

export interface Cache {
  readonly namespace: string
  /** Which tiers this cache has (e.g. a memory-only cache answers without any I/O). */
  readonly tiers: { readonly l1: boolean; readonly l2: boolean }
  /** Fresh value from L1 or L2, else undefined. */
  get<T = unknown>(key: string): Promise<T | undefined>
  set<T>(key: string, value: T, options?: SetOptions): Promise<void>
  has(key: string): Promise<boolean>
  /** Removes the key from L1 and L2 and tells other instances (bus). */
  delete(key: string): Promise<boolean>
  /** get() of many keys: L1 first, then the rest in one L2 round trip (MGET; per key on a cluster). */
  getMany<T = unknown>(keys: readonly string[]): Promise<(T | undefined)[]>
  /** set() of many entries: every entry is validated before any is written; L2 writes go out pipelined. */
  setMany<T>(entries: ReadonlyArray<SetManyEntry<T>>): Promise<void>
  /** delete() of many keys: one L2 DEL and one bus message; how many existed. */
  deleteMany(keys: readonly string[]): Promise<number>
  /**
   * Adds `by` (default 1) to the count of `key` and returns the new count. The count lives `ttl` (default: the
   * cache's) from its first increment: a fixed window. Exact across processes on Redis (one atomic EVAL); this
   * process's own without L2. Rejects with CounterUnavailableError (HOTPATH_CACHE_COUNTER_UNAVAILABLE) when L2
   * does not answer or cannot increment atomically (Keyv): the caller decides to fail open or closed.
   * Counters have their own keyspace: get/set/delete/clear of the same key never touch them.
   */
  increment(key: string, options?: IncrementOptions): Promise<number>
  /** Empties L1 and bumps the namespace generation: every L2 entry written before is a miss (O(1)). */
  clear(): Promise<void>
  /** Synchronous L1-only read of a fresh value. */
  peek<T = unknown>(key: string): T | undefined
  getOrSet<T>(
    key: string,
    factory: (ctx: FactoryContext) => T | Promise<T>,
    options?: GetOrSetOptions,
  ): Promise<T>
  wrap<A extends unknown[], R>(
    fn: (...args: A) => Promise<R>,
    options?: WrapOptions<A>,
  ): (...args: A) => Promise<R>
  /** Every entry carrying one of the tags is a miss from now on, in every instance. */
  invalidateTags(tags: string[]): Promise<void>
  stats(): CacheStats
  /**
   * Resolves once L2 and the bus are connected; rejects with CacheNotReadyError (HOTPATH_CACHE_NOT_READY)
   * when they are not within connectTimeout. Optional: calls made before the connection wait for it.
   */
  ready(): Promise<void>
  /** Flushes pending L2 writes and bus messages (bounded by closeTimeout), then disconnects. */
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}
