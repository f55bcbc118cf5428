// L1: a bounded store with per-entry TTLs, lru-cache ('lru') or W-TinyLFU ('tinylfu', l1/tinylfu.ts). A
// plain entry is the value itself (the store tracks its expiry in compact typed arrays: no wrapper object,
// no extra pointer chase on a hit). Entries that need more
// (grace, tags, adaptive TTL) are stored as a Wrapped object; until the first such entry exists, the
// hot path does not even check for wrappers.
import { type Clock, systemClock } from '@hotpath/core'
import { LRUCache } from 'lru-cache'
import { evictChannel } from './channels.ts'
import type { Envelope } from './codec.ts'
import { lruPerf } from './clock.ts'
import type { DisposeReason, L1Store, L1Value } from './l1/store.ts'
import { TinyLfu } from './l1/tinylfu.ts'

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

  /**
   * An L2 envelope as an L1 entry (the stale / previous value of a refresh): its wall-clock expiry times
   * become times of the cache's monotonic clock (same distance from now).
   */
  static fromEnvelope(env: Envelope, clock: Clock): Wrapped {
    const shift = clock.now() - clock.epoch()
    return new Wrapped(
      env.value,
      env.expiresAt + shift,
      env.graceUntil + shift,
      env.createdAt,
      env.tags,
      env.expiresAt - env.createdAt,
    )
  }
}

export interface Evictions {
  evict: number
  expire: number
  set: number
  delete: number
}

export interface L1Config {
  policy: 'tinylfu' | 'lru'
  max: number
  maxBytes: number | undefined
  sizeCalculation: ((value: unknown, key: string) => number) | undefined
}

/** Nodes visited by one estimate at most; the rest of a container is extrapolated from what was seen. */
const ESTIMATE_BUDGET = 4_096
const MAX_DEPTH = 32

interface Walk {
  budget: number
  seen: Set<object> | undefined
}

function estimateString(s: string): number {
  return s.length * 2 + 16
}

/** Sizes the children yielded by `items` (budget-bounded: the rest of `count` is extrapolated). */
function estimateItems(items: Iterable<unknown>, count: number, w: Walk, depth: number): number {
  let sum = 0
  let n = 0
  for (const item of items) {
    if (w.budget <= 0) return sum + (n === 0 ? 16 : sum / n) * (count - n)
    sum += estimateValue(item, w, depth)
    n++
  }
  return sum
}

function estimateValue(value: unknown, w: Walk, depth: number): number {
  w.budget--
  switch (typeof value) {
    case 'string':
      return estimateString(value)
    case 'bigint':
      return 16 + Math.ceil(value.toString(16).length / 2)
    case 'object':
      break
    case 'function':
      return 64
    default:
      return 8 // number, boolean, undefined, symbol: a word (heap numbers: 16, Smis: 0)
  }
  if (value === null) return 8
  if (ArrayBuffer.isView(value)) return value.byteLength + 64
  if (value instanceof ArrayBuffer) return value.byteLength + 32
  if (depth >= MAX_DEPTH) return 64
  const seen = (w.seen ??= new Set())
  if (seen.has(value)) return 8
  seen.add(value)
  depth++
  if (value instanceof Map) {
    // JSMap + OrderedHashMap: ~3 words per slot + buckets, capacity a power of two (about 1.4 slots per entry)
    return 32 + value.size * 40 + estimateItems(mapParts(value), value.size * 2, w, depth)
  }
  if (value instanceof Set) return 32 + value.size * 32 + estimateItems(value, value.size, w, depth)
  if (Array.isArray(value)) return 32 + value.length * 8 + estimateItems(value, value.length, w, depth)
  if (value instanceof Date) return 32
  if (value instanceof RegExp) return 64 + estimateString(value.source)
  // A plain (or class) object: header + one word per property, property names and values.
  const keys = Object.keys(value)
  let sum = 32 + keys.length * 8
  const obj = value as Record<string, unknown>
  for (let i = 0; i < keys.length; i++) {
    if (w.budget <= 0) return sum + (i === 0 ? 32 : (sum / i) * (keys.length - i))
    const k = keys[i]!
    sum += estimateString(k) + estimateValue(obj[k], w, depth)
  }
  return sum
}

function* mapParts(m: Map<unknown, unknown>): Iterable<unknown> {
  for (const [k, v] of m) {
    yield k
    yield v
  }
}

/**
 * Byte size of a value as V8 holds it, estimated: strings 2 bytes per character, Buffers / typed arrays their
 * bytes, Maps / Sets / arrays / objects their tables plus their contents, recursively (bounded effort:
 * at most 4_096 nodes, the rest extrapolated; cycles counted once).
 */
export function estimateBytes(value: unknown): number {
  if (value instanceof Wrapped) value = value.value
  if (typeof value === 'string') return estimateString(value)
  if (typeof value !== 'object' || value === null) return 16
  return estimateValue(value, { budget: ESTIMATE_BUDGET, seen: undefined }, 0)
}

export type { L1Store, L1Value } from './l1/store.ts'

export type L1Policy = 'tinylfu' | 'lru'

export interface L1Handle {
  store: L1Store
  policy: L1Policy
  evictions: Evictions
  /** Set before a delete that is really an invalidation, so dispose counts it as 'expire'. */
  flags: { expiring: boolean }
}

export function createL1(config: L1Config, namespace: string, clock: Clock): L1Handle {
  const evictions: Evictions = { evict: 0, expire: 0, set: 0, delete: 0 }
  const flags = { expiring: false }
  const dispose = (_value: L1Value, key: string, reason: DisposeReason): void => {
    const r = reason === 'delete' && flags.expiring ? 'expire' : reason === 'fetch' ? 'delete' : reason
    evictions[r]++
    if (evictChannel.hasSubscribers) evictChannel.publish({ cache: namespace, key, reason: r })
  }
  const userSize = config.sizeCalculation
  const sizeOf =
    config.maxBytes === undefined
      ? undefined
      : (v: L1Value, key: string): number => {
          const value = v instanceof Wrapped ? v.value : v
          const n = userSize ? userSize(value, key) : estimateBytes(value)
          return Number.isFinite(n) && n >= 1 ? Math.ceil(n) : 1
        }
  if (config.policy === 'tinylfu') {
    const store = new TinyLfu({
      max: config.max,
      maxBytes: config.maxBytes,
      sizeOf,
      dispose,
      now: () => clock.now(),
      coarseTime: clock === systemClock,
    })
    return { store, policy: 'tinylfu', evictions, flags }
  }
  // lru-cache checks the TTLs of plain entries on the cache's clock. With the system clock it reads
  // the time at most once per ms (lru-cache's ttlResolution, as before); an injected clock is read on
  // every check, so a test that moves it sees the effect at once.
  const perf = lruPerf(clock)
  const ttlResolution = clock === systemClock ? 1 : 0
  const store =
    sizeOf === undefined
      ? new LRUCache<string, L1Value>({ max: config.max, dispose, perf, ttlResolution })
      : new LRUCache<string, L1Value>({
          max: config.max,
          perf,
          ttlResolution,
          maxSize: config.maxBytes,
          sizeCalculation: sizeOf,
          dispose,
        })
  return { store, policy: 'lru', evictions, flags }
}
