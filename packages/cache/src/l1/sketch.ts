// Count-Min sketch of 4-bit counters: the frequency filter of W-TinyLFU. Each 32-bit word holds 8
// counters, 16 counters per entry of the cache; a key updates one counter in each of 4 rows (rows share
// the table, as in Caffeine). After `10 x width` increments every counter is halved ("reset"), so old popularity fades and the sketch
// follows a changing workload. Counters saturate at 15: the filter only has to order keys, not count them.

/** Odd multipliers (from splitmix / murmur finalizers) deriving the 4 row indices from one hash. */
const SEED0 = 0x9e3779b1 | 0
const SEED1 = 0x85ebca77 | 0
const SEED2 = 0xc2b2ae3d | 0
const SEED3 = 0x27d4eb2f | 0

/** 32-bit hash of a string (FNV-1a, then murmur3's finalizer so every bit depends on every char). */
export function hashKey(key: string): number {
  let h = 0x811c9dc5 | 0
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return h ^ (h >>> 16)
}

function nextPow2(n: number): number {
  let p = 8
  while (p < n) p *= 2
  return p
}

export class FrequencySketch {
  #table: Uint32Array
  /** 32 - log2(table length): the top bits of a row hash pick the word. */
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
    this.#shift = 32 - Math.log2(2 * entries)
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
    this.#shift = 32 - Math.log2(2 * n)
    this.#sampleSize = 10 * n
    this.#additions = 0
  }

  /** The counter of row `seed` for hash `h`: [word index, bit offset]. */
  #counter(h: number, seed: number): number {
    const x = Math.imul(h, seed)
    // word from the top bits, counter (0-7) from the 3 bits below them
    return ((x >>> this.#shift) << 3) | ((x >>> (this.#shift - 3)) & 7)
  }

  /** Estimated frequency (0-15) of the key with hash `h`: the minimum of its 4 counters. */
  frequency(h: number): number {
    const t = this.#table
    let c = this.#counter(h, SEED0)
    let min = (t[c >>> 3]! >>> ((c & 7) << 2)) & 15
    c = this.#counter(h, SEED1)
    min = Math.min(min, (t[c >>> 3]! >>> ((c & 7) << 2)) & 15)
    c = this.#counter(h, SEED2)
    min = Math.min(min, (t[c >>> 3]! >>> ((c & 7) << 2)) & 15)
    c = this.#counter(h, SEED3)
    return Math.min(min, (t[c >>> 3]! >>> ((c & 7) << 2)) & 15)
  }

  /** Counts one access of the key with hash `h`. */
  increment(h: number): void {
    const added =
      this.#bump(this.#counter(h, SEED0)) |
      this.#bump(this.#counter(h, SEED1)) |
      this.#bump(this.#counter(h, SEED2)) |
      this.#bump(this.#counter(h, SEED3))
    if (added !== 0 && ++this.#additions >= this.#sampleSize) this.#reset()
  }

  /** Increments one counter unless it is saturated; 1 when it did. */
  #bump(c: number): number {
    const t = this.#table
    const w = c >>> 3
    const offset = (c & 7) << 2
    if (((t[w]! >>> offset) & 15) === 15) return 0
    t[w] = t[w]! + (1 << offset)
    return 1
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
