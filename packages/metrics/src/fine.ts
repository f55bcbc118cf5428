// Fine log-scale buckets for percentiles: bucket i > 0 holds values in (BASE * G^(i-1), BASE * G^i].
// With G = 1.02 an estimate (the bucket's geometric middle) is within 1% of any value in the bucket.

export const FINE_BASE = 1e-6
export const FINE_GAMMA = 1.02
export const FINE_SIZE = 1400
const INV_LOG_GAMMA = 1 / Math.log(FINE_GAMMA)

export function fineIndex(value: number): number {
  if (!(value > FINE_BASE)) return 0
  const i = Math.ceil(Math.log(value / FINE_BASE) * INV_LOG_GAMMA)
  return i < FINE_SIZE ? i : FINE_SIZE - 1
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
      const index = fine[k] as number
      const estimate = index === 0 ? FINE_BASE : FINE_BASE * FINE_GAMMA ** (index - 0.5)
      return Math.min(summary.max, Math.max(summary.min, estimate))
    }
  }
  return summary.max
}
