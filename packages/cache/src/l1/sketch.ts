// Count-Min sketch of 4-bit counters: the frequency filter of W-TinyLFU. Each 32-bit word holds 8
// counters, 16 counters per entry of the cache; a key updates one counter in each of 4 rows, all within one
// 64-byte block (Caffeine's block layout: one cache line per access). After `10 x width` increments every counter is halved ("reset"), so old popularity fades and the sketch
// follows a changing workload. Counters saturate at 15: the filter only has to order keys, not count them.

/** Odd multipliers deriving the block (SEED0) and the 4 counters within it (SEED1) from one hash. */
const SEED0 = 0x9e3779b1 | 0
const SEED1 = 0x85ebca77 | 0

/** The UTF-8 bytes of the key being hashed (keys up to 1365 chars fit: 3 bytes per UTF-16 unit at most). */
const scratch = Buffer.allocUnsafe(4096)

/**
 * 32-bit hash of a string (FNV-1a over its UTF-8 bytes, then murmur3's finalizer so every bit depends on
 * every byte). The bytes come from Buffer#write, not charCodeAt: once any subclass of String exists in the
 * process (@redis/client defines one), V8 runs charCodeAt several times slower.
 */
export function hashKey(key: string): number {
  let h = 0x811c9dc5 | 0
  if (key.length <= 1365) {
    const n = scratch.write(key, 0, 'utf8')
    for (let i = 0; i < n; i++) h = Math.imul(h ^ scratch[i]!, 0x01000193)
  } else {
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return h ^ (h >>> 16)
}

function nextPow2(n: number): number {
  let p = 16
  while (p < n) p *= 2
  return p
}

export class FrequencySketch {
  #table: Uint32Array
  /** 32 - log2(blocks): the top bits of the hash pick the 16-word block. */
  #shift: number
  /** Increments since the last reset. */
  #additions = 0
  #sampleSize: number
  /** Resets done (tests, diagnostics). */
  resets = 0

  /** `width`: the number of entries the sketch should tell apart (the cache's capacity). */
  constructor(width: number) {
    const entries = nextPow2(Math.max(1, width))
    this.#table = new Uint32Array(2 * entries)
    this.#shift = 32 - Math.log2((2 * entries) / 16)
    this.#sampleSize = 10 * entries
  }

  /** Entries the sketch is sized for (16 counters each, as Caffeine's). */
  get width(): number {
    return this.#table.length / 2
  }

  /** Increments between two halvings: 10 x width. */
  get sampleSize(): number {
    return this.#sampleSize
  }

  /** Increments since the last halving. */
  get additions(): number {
    return this.#additions
  }

  /** Grows the table for a cache now holding `entries` (history is dropped, as Caffeine does). */
  ensureCapacity(entries: number): void {
    if (entries <= this.#table.length / 2) return
    const n = nextPow2(entries)
    this.#table = new Uint32Array(2 * n)
    this.#shift = 32 - Math.log2((2 * n) / 16)
    this.#sampleSize = 10 * n
    this.#additions = 0
  }

  /**
   * Estimated frequency (0-15) of the key with hash `h`: the minimum of its 4 counters. The 4 counters of a
   * key lie in one 64-byte block of 16 words (row r uses words 4r-4r+3 of it): one cache line per access.
   */
  frequency(h: number): number {
    const t = this.#table
    const block = (Math.imul(h, SEED0) >>> this.#shift) << 4
    const c = Math.imul(h, SEED1)
    let min = 15
    for (let r = 0; r < 4; r++) {
      const k = (c >>> (r << 3)) & 31 // one of the 32 counters of row r
      const v = (t[block + (r << 2) + (k >>> 3)]! >>> ((k & 7) << 2)) & 15
      if (v < min) min = v
    }
    return min
  }

  /**
   * Counts one access of the key with hash `h`: its counters at the current minimum go up by one
   * (conservative update: the others already over-count from collisions, raising them adds only noise).
   */
  increment(h: number): void {
    const t = this.#table
    const block = (Math.imul(h, SEED0) >>> this.#shift) << 4
    const c = Math.imul(h, SEED1)
    const w0 = block + ((c & 31) >>> 3)
    const w1 = block + 4 + (((c >>> 8) & 31) >>> 3)
    const w2 = block + 8 + (((c >>> 16) & 31) >>> 3)
    const w3 = block + 12 + (((c >>> 24) & 31) >>> 3)
    const o0 = (c & 7) << 2
    const o1 = ((c >>> 8) & 7) << 2
    const o2 = ((c >>> 16) & 7) << 2
    const o3 = ((c >>> 24) & 7) << 2
    const v0 = (t[w0]! >>> o0) & 15
    const v1 = (t[w1]! >>> o1) & 15
    const v2 = (t[w2]! >>> o2) & 15
    const v3 = (t[w3]! >>> o3) & 15
    const min = Math.min(v0, v1, v2, v3)
    if (min === 15) return
    if (v0 === min) t[w0] = t[w0]! + (1 << o0)
    if (v1 === min) t[w1] = t[w1]! + (1 << o1)
    if (v2 === min) t[w2] = t[w2]! + (1 << o2)
    if (v3 === min) t[w3] = t[w3]! + (1 << o3)
    if (++this.#additions >= this.#sampleSize) this.#reset()
  }

  /** Halves every counter; additions shrink by the same factor (less the odd counters' lost halves). */
  #reset(): void {
    const t = this.#table
    let odd = 0
    for (let i = 0; i < t.length; i++) {
      const w = t[i]!
      odd += popcount(w & 0x11111111)
      t[i] = (w >>> 1) & 0x77777777
    }
    this.#additions = (this.#additions - (odd >>> 2)) >>> 1
    this.resets++
  }
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333)
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff
}
