// What the cache needs from its L1: a bounded map with per-entry TTLs. lru-cache's LRUCache satisfies it
// as is (the 'lru' policy pays no adapter on its hot path); TinyLfu ('tinylfu') implements it.

// biome-ignore lint/complexity/noBannedTypes: lru-cache requires non-nullish values; null is stored as is.
export type L1Value = {}

export type DisposeReason = 'evict' | 'set' | 'delete' | 'expire' | 'fetch'

export interface L1Store {
  /** The live value (an access: refreshes recency); an expired entry is removed ('expire') and undefined. */
  get(key: string): L1Value | undefined
  /** Stores `value` for `ttl` ms (>= 1); replacing a different value disposes the old one with 'set'. */
  set(key: string, value: L1Value, options: { ttl: number }): unknown
  delete(key: string): boolean
  /** Removes every entry (each disposed with 'delete'). */
  clear(): void
  /** Entries held (expired ones not yet met included). */
  readonly size: number
  /** Sum of the entry sizes (byte-bounded stores; 0 otherwise). */
  readonly calculatedSize: number
  values(): Iterable<L1Value>
}

export interface L1StoreOptions {
  max: number
  /** Byte bound; undefined = count-bounded only. */
  maxBytes: number | undefined
  /** Size of an entry (already clamped to an integer >= 1), used with maxBytes. */
  sizeOf: ((value: L1Value, key: string) => number) | undefined
  dispose: (value: L1Value, key: string, reason: DisposeReason) => void
  /** Monotonic ms of the cache's clock. */
  now: () => number
  /** Whether `now` may be read at most once per ms (the system clock) instead of on every check. */
  coarseTime: boolean
}
