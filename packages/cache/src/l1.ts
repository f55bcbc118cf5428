// L1: lru-cache with per-entry TTLs. A plain entry is the value itself (lru-cache tracks its expiry in
// compact typed arrays: no wrapper object, no extra pointer chase on a hit). Entries that need more
// (grace, tags, adaptive TTL) are stored as a Wrapped object; until the first such entry exists, the
// hot path does not even check for wrappers.
import { type Clock, systemClock } from '@hotpath/core'
import { LRUCache } from 'lru-cache'
import { evictChannel } from './channels.ts'
import { lruPerf } from './clock.ts'

export class Wrapped {
  value: unknown
  /** Monotonic ms (the cache's clock.now()) until which the entry is fresh. */
  exp: number
  /** Monotonic ms until which the entry may be served stale (grace). */
  stale: number
  /** Wall-clock stamp of creation (compared with tag invalidation stamps). */
  createdAt: number
  tags: string[] | undefined
  /** The TTL the entry was stored with (adaptive TTL starts from it). */
  ttl: number
  constructor(
    value: unknown,
    exp: number,
    stale: number,
    createdAt: number,
    tags: string[] | undefined,
    ttl: number,
  ) {
    this.value = value
    this.exp = exp
    this.stale = stale
    this.createdAt = createdAt
    this.tags = tags
    this.ttl = ttl
  }
}

export interface Evictions {
  evict: number
  expire: number
  set: number
  delete: number
}

export interface L1Config {
  max: number
  maxBytes: number | undefined
  sizeCalculation: ((value: unknown, key: string) => number) | undefined
}

/** Rough byte size of a value: Buffer length, string length * 2, else JSON length * 2. */
export function estimateBytes(value: unknown): number {
  if (value instanceof Wrapped) value = value.value
  if (typeof value === 'string') return value.length * 2 + 16
  if (value instanceof Uint8Array) return value.byteLength + 64
  if (typeof value !== 'object' || value === null) return 16
  try {
    return (JSON.stringify(value)?.length ?? 0) * 2 + 64
  } catch {
    return 1024
  }
}

// biome-ignore lint/complexity/noBannedTypes: lru-cache requires non-nullish values; null is stored as is.
export type L1Value = {}
export type L1Cache = LRUCache<string, L1Value>

export interface L1Handle {
  lru: L1Cache
  evictions: Evictions
  /** Set before a delete that is really an invalidation, so dispose counts it as 'expire'. */
  flags: { expiring: boolean }
}

export function createL1(config: L1Config, namespace: string, clock: Clock): L1Handle {
  const evictions: Evictions = { evict: 0, expire: 0, set: 0, delete: 0 }
  const flags = { expiring: false }
  const dispose = (_value: L1Value, key: string, reason: LRUCache.DisposeReason): void => {
    const r = reason === 'delete' && flags.expiring ? 'expire' : reason === 'fetch' ? 'delete' : reason
    evictions[r]++
    if (evictChannel.hasSubscribers) evictChannel.publish({ cache: namespace, key, reason: r })
  }
  const userSize = config.sizeCalculation
  // lru-cache checks the TTLs of plain entries on the cache's clock. With the system clock it reads
  // the time at most once per ms (lru-cache's ttlResolution, as before); an injected clock is read on
  // every check, so a test that moves it sees the effect at once.
  const perf = lruPerf(clock)
  const ttlResolution = clock === systemClock ? 1 : 0
  const lru =
    config.maxBytes === undefined
      ? new LRUCache<string, L1Value>({ max: config.max, dispose, perf, ttlResolution })
      : new LRUCache<string, L1Value>({
          max: config.max,
          perf,
          ttlResolution,
          maxSize: config.maxBytes,
          sizeCalculation: (v, key) => {
            const value = v instanceof Wrapped ? v.value : v
            const n = userSize ? userSize(value, key) : estimateBytes(value)
            return Number.isFinite(n) && n >= 1 ? Math.ceil(n) : 1
          },
          dispose,
        })
  return { lru, evictions, flags }
}
