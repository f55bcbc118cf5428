// The set of pre-aggregated instruments of one metrics instance, their snapshots and merging.
import { mergeSparse } from './fine.ts'
import {
  type Attributes,
  type CounterSnapshot,
  CounterFamily,
  canonicalKey,
  HistogramFamily,
  type HistogramSeriesSnapshot,
  type HistogramSnapshot,
  type InstrumentDescription,
} from './instruments.ts'

export type FamilySnapshot = HistogramSnapshot | CounterSnapshot

export class Registry {
  readonly limit: number
  private readonly families: Map<string, HistogramFamily | CounterFamily> = new Map()

  constructor(limit: number) {
    this.limit = limit
  }

  histogram(desc: InstrumentDescription, boundaries: readonly number[]): HistogramFamily {
    const found = this.families.get(desc.name)
    if (found instanceof HistogramFamily) return found
    if (found) throw new TypeError(`instrument ${desc.name} already exists as a counter`)
    const family = new HistogramFamily(desc, boundaries, this.limit)
    this.families.set(desc.name, family)
    return family
  }

  counter(desc: InstrumentDescription): CounterFamily {
    const found = this.families.get(desc.name)
    if (found instanceof CounterFamily) return found
    if (found) throw new TypeError(`instrument ${desc.name} already exists as a histogram`)
    const family = new CounterFamily(desc, this.limit)
    this.families.set(desc.name, family)
    return family
  }

  has(name: string): boolean {
    return this.families.has(name)
  }

  /** `withFine: false` (export) skips the histograms' percentile buckets. */
  snapshot(withFine = true): FamilySnapshot[] {
    return [...this.families.values()].map((f) =>
      f instanceof HistogramFamily ? f.snapshot(withFine) : f.snapshot(),
    )
  }
}

function sameBoundaries(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i])
}

function mergeHistogramSeries(
  a: HistogramSeriesSnapshot,
  b: HistogramSeriesSnapshot,
): HistogramSeriesSnapshot {
  return {
    attributes: a.attributes,
    count: a.count + b.count,
    sum: a.sum + b.sum,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
    counts: a.counts.map((c, i) => c + (b.counts[i] ?? 0)),
    fine: mergeSparse(a.fine, b.fine),
  }
}

/** Sums snapshots of several processes: series with equal attributes add up. */
export function mergeSnapshots(lists: FamilySnapshot[][]): FamilySnapshot[] {
  const out = new Map<string, FamilySnapshot>()
  const index = new Map<string, Map<string, number>>()
  for (const list of lists) {
    for (const family of list) {
      let target = out.get(family.name)
      if (target === undefined || target.type !== family.type) {
        if (target !== undefined) continue // same name, other type: keep the first
        target =
          family.type === 'histogram'
            ? { ...family, boundaries: [...family.boundaries], series: [] }
            : { ...family, series: [] }
        out.set(family.name, target)
        index.set(family.name, new Map())
      }
      const positions = index.get(family.name) as Map<string, number>
      if (target.type === 'histogram' && family.type === 'histogram') {
        if (!sameBoundaries(target.boundaries, family.boundaries)) continue
        for (const s of family.series) {
          const key = canonicalKey(s.attributes)
          const at = positions.get(key)
          if (at === undefined) {
            positions.set(key, target.series.length)
            target.series.push({ ...s, counts: [...s.counts], fine: [...s.fine] })
          } else {
            target.series[at] = mergeHistogramSeries(target.series[at] as HistogramSeriesSnapshot, s)
          }
        }
      } else if (target.type === 'counter' && family.type === 'counter') {
        for (const s of family.series) {
          const key = canonicalKey(s.attributes)
          const at = positions.get(key)
          if (at === undefined) {
            positions.set(key, target.series.length)
            target.series.push({ attributes: s.attributes, value: s.value })
          } else {
            const existing = target.series[at] as { attributes: Attributes; value: number }
            existing.value += s.value
          }
        }
      }
    }
  }
  return [...out.values()]
}
