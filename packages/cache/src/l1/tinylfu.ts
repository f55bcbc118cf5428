// W-TinyLFU L1 (the 'tinylfu' policy): a small LRU window (1 % of the bounds) in front of a segmented LRU
// main area (probation 20 %, protected 80 %), with a Count-Min sketch deciding admission: when the window
// overflows, its LRU entry (the candidate) enters main only if the sketch has seen it more often than main's
// victim (probation's LRU entry). One-time keys (scans) pass through the window and are rejected, so the
// frequently used keys in main survive them. Entries live in typed arrays (struct of arrays, grown on
// demand): a hit is one Map lookup, an expiry check, a list move and a per-entry hit count, which reaches
// the sketch when the entry's frequency is asked for (an admission contest) or when it leaves (as
// Caffeine buffers reads, so a hit never touches the sketch's memory).
import { FrequencySketch, hashKey } from './sketch.ts'
import type { DisposeReason, L1Store, L1StoreOptions, L1Value } from './store.ts'

/** Segments; their list heads are the sentinel slots 0-2. */
export const WINDOW = 0
export const PROBATION = 1
export const PROTECTED = 2
export type Segment = typeof WINDOW | typeof PROBATION | typeof PROTECTED
const SENTINELS = 3
const NONE = -1

const WINDOW_SHARE = 0.01
const PROTECTED_SHARE = 0.8

export class TinyLfu implements L1Store {
  readonly #map = new Map<string, number>()
  #keys: (string | undefined)[] = []
  #values: (L1Value | undefined)[] = []
  #prev: Int32Array
  #next: Int32Array
  #seg: Uint8Array
  #hash: Int32Array
  /** Hits not yet counted in the sketch (0-15): counted when the entry's frequency is asked for or it leaves. */
  #hits: Uint8Array
  /** Monotonic ms after which the entry is expired. */
  #exp: Float64Array
  #weight: Float64Array
  /** Slots allocated so far (sentinels included); freed slots are chained through #next. */
  #used = SENTINELS
  #free = NONE
  readonly #limit: number

  readonly #count = new Float64Array(3)
  readonly #bytes = new Float64Array(3)
  #totalBytes = 0

  readonly #max: number
  readonly #maxBytes: number
  readonly #windowMax: number
  readonly #windowMaxBytes: number
  readonly #mainMax: number
  readonly #protectedMax: number
  readonly #protectedMaxBytes: number

  readonly #sketch: FrequencySketch
  readonly #sizeOf: L1StoreOptions['sizeOf']
  readonly #dispose: L1StoreOptions['dispose']
  readonly #clockNow: () => number
  readonly #coarse: boolean
  #cachedNow = 0

  /** Candidates moved from the window into main / evicted by the frequency filter. */
  admitted = 0
  rejected = 0

  constructor(o: L1StoreOptions) {
    this.#max = o.max
    this.#maxBytes = o.maxBytes ?? Number.POSITIVE_INFINITY
    this.#windowMax = Math.max(1, Math.floor(o.max * WINDOW_SHARE))
    this.#windowMaxBytes = this.#maxBytes * WINDOW_SHARE
    this.#mainMax = o.max - this.#windowMax
    this.#protectedMax = Math.floor(this.#mainMax * PROTECTED_SHARE)
    this.#protectedMaxBytes = this.#maxBytes * (1 - WINDOW_SHARE) * PROTECTED_SHARE
    this.#sizeOf = o.maxBytes === undefined ? undefined : o.sizeOf
    this.#dispose = o.dispose
    this.#clockNow = o.now
    this.#coarse = o.coarseTime
    // one spare slot: a new entry is linked before the bounds are restored
    this.#limit = o.max + SENTINELS + 1
    const initial = Math.min(this.#limit, 1024)
    this.#prev = new Int32Array(initial)
    this.#next = new Int32Array(initial)
    this.#seg = new Uint8Array(initial)
    this.#hash = new Int32Array(initial)
    this.#hits = new Uint8Array(initial)
    this.#exp = new Float64Array(initial)
    this.#weight = new Float64Array(initial)
    for (let s = 0; s < SENTINELS; s++) {
      this.#prev[s] = s
      this.#next[s] = s
    }
    this.#sketch = new FrequencySketch(Math.min(o.max, 1024))
  }

  get size(): number {
    return this.#map.size
  }

  get calculatedSize(): number {
    return this.#sizeOf === undefined ? 0 : this.#totalBytes
  }

  /** @internal The sketch (tests). */
  get sketch(): FrequencySketch {
    return this.#sketch
  }

  /** @internal The segment of `key`, or undefined (tests). */
  segmentOf(key: string): Segment | undefined {
    const i = this.#map.get(key)
    return i === undefined ? undefined : (this.#seg[i] as Segment)
  }

  /** @internal Keys of a segment from LRU to MRU (tests). */
  keysOf(segment: Segment): string[] {
    const out: string[] = []
    for (let i = this.#next[segment]!; i !== segment; i = this.#next[i]!) out.push(this.#keys[i]!)
    return out
  }

  /** The clock, read at most once per ms with the system clock (as lru-cache's ttlResolution: 1). */
  #now(): number {
    if (!this.#coarse) return this.#clockNow()
    let t = this.#cachedNow
    if (t === 0) {
      t = this.#clockNow()
      this.#cachedNow = t
      setTimeout(() => {
        this.#cachedNow = 0
      }, 1).unref()
    }
    return t
  }

  get(key: string): L1Value | undefined {
    const i = this.#map.get(key)
    if (i === undefined) return undefined
    if (this.#exp[i]! < this.#now()) {
      this.#remove(i, 'expire')
      return undefined
    }
    // the sketch is updated lazily (a local byte here, no random access into the sketch on a hit)
    const hits = this.#hits
    if (hits[i]! < 15) hits[i]!++
    this.#touch(i)
    return this.#values[i]
  }

  set(key: string, value: L1Value, options: { ttl: number }): this {
    const w = this.#sizeOf === undefined ? 1 : this.#sizeOf(value, key)
    let i = this.#map.get(key)
    if (w > this.#maxBytes) {
      // larger than the whole bound: not kept (as lru-cache), the old value goes
      if (i !== undefined) this.#remove(i, 'set')
      return this
    }
    const exp = this.#now() + options.ttl
    if (i !== undefined) {
      const old = this.#values[i]!
      this.#values[i] = value
      this.#exp[i] = exp
      this.#reweigh(i, w)
      this.#sketch.increment(this.#hash[i]!)
      this.#touch(i)
      if (old !== value) this.#dispose(old, key, 'set')
      this.#drainWindow()
      this.#evictOverflow(i)
      return this
    }
    i = this.#alloc()
    const h = hashKey(key)
    this.#keys[i] = key
    this.#values[i] = value
    this.#hash[i] = h
    this.#hits[i] = 0
    this.#exp[i] = exp
    this.#weight[i] = w
    this.#map.set(key, i)
    this.#totalBytes += w
    this.#sketch.ensureCapacity(this.#map.size)
    this.#sketch.increment(h)
    this.#link(i, WINDOW)
    this.#drainWindow()
    this.#evictOverflow(i)
    return this
  }

  delete(key: string): boolean {
    const i = this.#map.get(key)
    if (i === undefined) return false
    this.#remove(i, 'delete')
    return true
  }

  clear(): void {
    const entries = [...this.#map.entries()]
    const values = entries.map(([, i]) => {
      this.#countHits(i)
      return this.#values[i]!
    })
    this.#map.clear()
    this.#keys = []
    this.#values = []
    this.#used = SENTINELS
    this.#free = NONE
    for (let s = 0; s < SENTINELS; s++) {
      this.#prev[s] = s
      this.#next[s] = s
      this.#count[s] = 0
      this.#bytes[s] = 0
    }
    this.#totalBytes = 0
    for (let n = 0; n < entries.length; n++) this.#dispose(values[n]!, entries[n]![0], 'delete')
  }

  *values(): Iterable<L1Value> {
    const now = this.#now()
    for (const i of this.#map.values()) if (this.#exp[i]! >= now) yield this.#values[i]!
  }

  // ---------------------------------------------------------------- policy

  /** An access: window and protected entries move to their MRU end, a probation entry is promoted. */
  #touch(i: number): void {
    const seg = this.#seg[i]!
    if (seg === PROBATION) {
      this.#promote(i)
      return
    }
    // within a segment only the links change (no counts); nothing at all when it is the MRU entry already
    const next = this.#next
    const n = next[i]!
    if (n === seg) return
    const prev = this.#prev
    const p = prev[i]!
    next[p] = n
    prev[n] = p
    const last = prev[seg]!
    next[last] = i
    prev[i] = last
    next[i] = seg
    prev[seg] = i
  }

  /** Probation -> protected; protected over its share sends its LRU entries back to probation. */
  #promote(i: number): void {
    this.#unlink(i)
    this.#link(i, PROTECTED)
    while (
      (this.#count[PROTECTED]! > this.#protectedMax || this.#bytes[PROTECTED]! > this.#protectedMaxBytes) &&
      this.#count[PROTECTED]! > 1
    ) {
      const d = this.#next[PROTECTED]!
      this.#unlink(d)
      this.#link(d, PROBATION)
    }
  }

  /** Moves window overflow (its LRU entries) to main, through the admission filter. */
  #drainWindow(): void {
    while (
      this.#count[WINDOW]! > this.#windowMax ||
      (this.#bytes[WINDOW]! > this.#windowMaxBytes && this.#count[WINDOW]! > 1)
    ) {
      const candidate = this.#next[WINDOW]!
      this.#unlink(candidate)
      this.#admit(candidate)
    }
  }

  /**
   * A candidate for main: while main has no room, it competes with main's victim (probation's LRU entry,
   * else protected's) and the one the sketch has seen less often is evicted (the victim on a tie).
   */
  #admit(candidate: number): void {
    if (this.#mainMax === 0) {
      // max 1: the window is the whole cache
      this.#dispose1(candidate, 'evict')
      return
    }
    const now = this.#now()
    while (
      this.#count[PROBATION]! + this.#count[PROTECTED]! + 1 > this.#mainMax ||
      this.#totalBytes > this.#maxBytes
    ) {
      const victim = this.#lru(PROBATION) ?? this.#lru(PROTECTED)
      if (victim === undefined) break
      if (
        this.#exp[victim]! < now ||
        (this.#exp[candidate]! >= now && this.#frequency(candidate) > this.#frequency(victim))
      ) {
        this.#remove(victim, 'evict')
      } else {
        this.rejected++
        this.#dispose1(candidate, 'evict')
        return
      }
    }
    this.#link(candidate, PROBATION)
    this.admitted++
  }

  /**
   * Restores the bounds (an entry grew, or main has no room at all): LRU first, probation, protected, then
   * the window; never `keep` (the entry just written) while another can go.
   */
  #evictOverflow(keep: number): void {
    while (this.#map.size > this.#max || this.#totalBytes > this.#maxBytes) {
      const victim =
        this.#victim(PROBATION, keep) ?? this.#victim(PROTECTED, keep) ?? this.#victim(WINDOW, keep)
      if (victim === undefined) return
      this.#remove(victim, 'evict')
    }
  }

  /** The LRU entry of `seg` other than `keep` (an entry just touched is at the MRU end: its list's only one). */
  #victim(seg: Segment, keep: number): number | undefined {
    let i = this.#next[seg]!
    if (i === keep) i = this.#next[i]!
    return i === seg ? undefined : i
  }

  /** The sketch's estimate for entry `i`, once its pending hits are counted. */
  #frequency(i: number): number {
    this.#countHits(i)
    return this.#sketch.frequency(this.#hash[i]!)
  }

  /** Moves the pending hits of entry `i` into the sketch (the sketch saturates at 15 anyway). */
  #countHits(i: number): void {
    const n = this.#hits[i]!
    if (n === 0) return
    this.#hits[i] = 0
    const h = this.#hash[i]!
    for (let k = 0; k < n; k++) this.#sketch.increment(h)
  }

  #lru(seg: Segment): number | undefined {
    const i = this.#next[seg]!
    return i === seg ? undefined : i
  }

  // ---------------------------------------------------------------- slots and lists

  #link(i: number, seg: Segment): void {
    const last = this.#prev[seg]!
    this.#next[last] = i
    this.#prev[i] = last
    this.#next[i] = seg
    this.#prev[seg] = i
    this.#seg[i] = seg
    this.#count[seg]!++
    this.#bytes[seg]! += this.#weight[i]!
  }

  #unlink(i: number): void {
    const p = this.#prev[i]!
    const n = this.#next[i]!
    this.#next[p] = n
    this.#prev[n] = p
    const seg = this.#seg[i]!
    this.#count[seg]!--
    this.#bytes[seg]! -= this.#weight[i]!
  }

  #reweigh(i: number, w: number): void {
    const d = w - this.#weight[i]!
    this.#weight[i] = w
    this.#bytes[this.#seg[i]!]! += d
    this.#totalBytes += d
  }

  /** Unlinks and frees a linked entry, then disposes it. */
  #remove(i: number, reason: DisposeReason): void {
    this.#unlink(i)
    this.#dispose1(i, reason)
  }

  /** Frees an (already unlinked) entry, then disposes it. */
  #dispose1(i: number, reason: DisposeReason): void {
    this.#countHits(i) // a key asked for again later is judged by every hit it had
    const key = this.#keys[i]!
    const value = this.#values[i]!
    this.#map.delete(key)
    this.#totalBytes -= this.#weight[i]!
    this.#keys[i] = undefined
    this.#values[i] = undefined
    this.#next[i] = this.#free
    this.#free = i
    this.#dispose(value, key, reason)
  }

  #alloc(): number {
    const f = this.#free
    if (f !== NONE) {
      this.#free = this.#next[f]!
      return f
    }
    if (this.#used === this.#prev.length) this.#grow()
    return this.#used++
  }

  #grow(): void {
    const n = Math.min(this.#limit, this.#prev.length * 2)
    const grow = <T extends Int32Array | Uint8Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(n)
      b.set(a)
      return b
    }
    this.#prev = grow(this.#prev, (k) => new Int32Array(k))
    this.#next = grow(this.#next, (k) => new Int32Array(k))
    this.#seg = grow(this.#seg, (k) => new Uint8Array(k))
    this.#hash = grow(this.#hash, (k) => new Int32Array(k))
    this.#hits = grow(this.#hits, (k) => new Uint8Array(k))
    this.#exp = grow(this.#exp, (k) => new Float64Array(k))
    this.#weight = grow(this.#weight, (k) => new Float64Array(k))
  }
}
