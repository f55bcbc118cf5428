// Fine log-linear buckets for percentiles, read straight from the float's bits (no Math.log on the hot
// path): 32 linear sub-buckets per power of two, so a bucket's middle is within 1.6% of any value in it.
// Range 2^-20 (~1 µs when the unit is seconds) to 2^14 (~4.5 h); values outside land in the end buckets.

const SUB_BITS = 5
const MIN_EXPONENT = -20
const MAX_EXPONENT = 14
export const FINE_SIZE: number = (MAX_EXPONENT - MIN_EXPONENT) << SUB_BITS
const OFFSET = (1023 + MIN_EXPONENT) << SUB_BITS
const f64 = new Float64Array(1)
const u32 = new Uint32Array(f64.buffer)
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0 // high word index (endianness)

export function fineIndex(value: number): number {
  f64[0] = value
  const i = ((u32[HI] as number) >>> (20 - SUB_BITS)) - OFFSET
  return i < 0 ? 0 : i < FINE_SIZE ? i : FINE_SIZE - 1
}

/** The middle of bucket `index`. */
export function fineValue(index: number): number {
  const exponent = (index >> SUB_BITS) + MIN_EXPONENT
  const sub = index & ((1 << SUB_BITS) - 1)
  return 2 ** exponent * (1 + (sub + 0.5) / (1 << SUB_BITS))
}

/** Sparse form for snapshots and IPC: [index, count, index, count, ...] with ascending indexes. */
export type SparseCounts = number[]

export function toSparse(dense: Uint32Array): SparseCounts {
  const out: number[] = []
  for (let i = 0; i < dense.length; i++) {
    const c = dense[i] as number
    if (c !== 0) out.push(i, c)
  }
  return out
}

export function mergeSparse(a: SparseCounts, b: SparseCounts): SparseCounts {
  const out: number[] = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    const ia = i < a.length ? (a[i] as number) : Number.POSITIVE_INFINITY
    const ib = j < b.length ? (b[j] as number) : Number.POSITIVE_INFINITY
    if (ia === ib) {
      out.push(ia, (a[i + 1] as number) + (b[j + 1] as number))
      i += 2
      j += 2
    } else if (ia < ib) {
      out.push(ia, a[i + 1] as number)
      i += 2
    } else {
      out.push(ib, b[j + 1] as number)
      j += 2
    }
  }
  return out
}

export interface FineSummary {
  count: number
  min: number
  max: number
  fine: SparseCounts
}

/** Nearest-rank percentile estimate (q in 0..1), clamped to the observed min and max. NaN when empty. */
export function quantile(summary: FineSummary, q: number): number {
  const { count, fine } = summary
  if (count === 0) return Number.NaN
  const rank = Math.max(1, Math.ceil(q * count))
  let seen = 0
  for (let k = 0; k < fine.length; k += 2) {
    seen += fine[k + 1] as number
    if (seen >= rank) {
      const estimate = fineValue(fine[k] as number)
      return Math.min(summary.max, Math.max(summary.min, estimate))
    }
  }
  return summary.max
}
