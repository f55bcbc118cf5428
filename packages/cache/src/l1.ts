// L1: lru-cache holding small Entry wrappers. Expiry lives in the wrapper (relative ms, a Smi), so
// lru-cache runs without its own TTL bookkeeping; grace, tags and adaptive TTL live in an optional Meta.
import { LRUCache } from 'lru-cache'
import { evictChannel } from './channels.ts'

/** Extra data of an entry that has grace, tags or an adaptive TTL. */
export class Meta {
  /** Relative ms until which the entry may be served stale. */
  stale: number
  /** Wall-clock stamp of creation (compared with tag / clear invalidation stamps). */
  createdAt: number
  tags: string[] | undefined
  /** The TTL the entry was stored with (adaptive TTL starts from it). */
  ttl: number
  constructor(stale: number, createdAt: number, tags: string[] | undefined, ttl: number) {
    this.stale = stale
    this.createdAt = createdAt
    this.tags = tags
    this.ttl = ttl
  }
}

export class Entry {
  value: unknown
  /** Relative ms (clock.now()) until which the entry is fresh. */
  exp: number
  meta: Meta | undefined
  constructor(value: unknown, exp: number, meta: Meta | undefined) {
    this.value = value
    this.exp = exp
    this.meta = meta
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
  if (typeof value === 'string') return value.length * 2 + 16
  if (value instanceof Uint8Array) return value.byteLength + 64
  if (typeof value !== 'object' || value === null) return 16
  try {
    return (JSON.stringify(value)?.length ?? 0) * 2 + 64
  } catch {
    return 1024
  }
}

export interface L1Handle {
  lru: LRUCache<string, Entry>
  evictions: Evictions
  /** Set before a delete that is really an expiry, so dispose counts it as 'expire'. */
  flags: { expiring: boolean }
}

export function createL1(config: L1Config, namespace: string): L1Handle {
  const evictions: Evictions = { evict: 0, expire: 0, set: 0, delete: 0 }
  const flags = { expiring: false }
  const dispose = (_value: Entry, key: string, reason: LRUCache.DisposeReason): void => {
    const r = reason === 'delete' && flags.expiring ? 'expire' : reason === 'fetch' ? 'delete' : reason
    evictions[r]++
    if (evictChannel.hasSubscribers) evictChannel.publish({ cache: namespace, key, reason: r })
  }
  const userSize = config.sizeCalculation
  const lru =
    config.maxBytes === undefined
      ? new LRUCache<string, Entry>({ max: config.max, dispose })
      : new LRUCache<string, Entry>({
          max: config.max,
          maxSize: config.maxBytes,
          sizeCalculation: (entry, key) => {
            const n = userSize ? userSize(entry.value, key) : estimateBytes(entry.value)
            return Number.isFinite(n) && n >= 1 ? Math.ceil(n) : 1
          },
          dispose,
        })
  return { lru, evictions, flags }
}
