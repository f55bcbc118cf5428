// The sliding window of the recommendations: snapshots of this process's figures every window/12, and the
// figures of the last window as the difference between now and the newest snapshot at least a window old.
import type { SparseCounts } from './fine.ts'
import { canonicalKey, type HistogramSeriesSnapshot } from './instruments.ts'
import type { QueryRecord } from './queries.ts'
import type { FamilySnapshot } from './registry.ts'

export interface Baseline {
  /** Monotonic ms (the instance's clock) when it was taken. */
  at: number
  /** Wall-clock epoch ms when it was taken. */
  epoch: number
  families: FamilySnapshot[]
  queries: QueryRecord[]
}

/** What a process sends with its figures: the baseline of its window (empty families: since start). */
export interface WindowBaseline {
  /** How long ago (ms) the baseline was taken, or since start when it is the start. */
  ageMs: number
  /** Wall-clock epoch ms of the baseline; absent when the window starts at the process start. */
  epoch?: number
  families: FamilySnapshot[]
  queries: QueryRecord[]
}

/** The window the recommendations judged. */
export interface ReportWindow {
  /** Length of the window (s): the configured window, or less while the process is younger. */
  seconds: number
  /** Configured window (s). */
  configuredSeconds: number
}

export class WindowRing {
  private readonly window: number
  private readonly startedAt: number
  private entries: Baseline[] = []

  constructor(window: number, startedAt: number) {
    this.window = window
    this.startedAt = startedAt
  }

  get interval(): number {
    return Math.max(Math.round(this.window / 12), 10)
  }

  add(entry: Baseline): void {
    this.entries.push(entry)
    // keep the newest entry at least a window old and everything newer
    const cutoff = entry.at - this.window
    let keepFrom = 0
    for (let i = 0; i < this.entries.length; i++) if ((this.entries[i] as Baseline).at <= cutoff) keepFrom = i
    if (keepFrom > 0) this.entries = this.entries.slice(keepFrom)
  }

  baseline(now: number): WindowBaseline {
    const cutoff = now - this.window
    let found: Baseline | undefined
    for (const e of this.entries) if (e.at <= cutoff) found = e
    if (found === undefined) return { ageMs: now - this.startedAt, families: [], queries: [] }
    return { ageMs: now - found.at, epoch: found.epoch, families: found.families, queries: found.queries }
  }
}

export function subtractSparse(a: SparseCounts, b: SparseCounts): SparseCounts {
  const before = new Map<number, number>()
  for (let k = 0; k < b.length; k += 2) before.set(b[k] as number, b[k + 1] as number)
  const out: number[] = []
  for (let k = 0; k < a.length; k += 2) {
    const c = (a[k + 1] as number) - (before.get(a[k] as number) ?? 0)
    if (c > 0) out.push(a[k] as number, c)
  }
  return out
}

/** `current - baseline` per series: the figures of the window. Series without events in it are dropped. */
export function subtractFamilies(current: FamilySnapshot[], baseline: FamilySnapshot[]): FamilySnapshot[] {
  const old = new Map<string, Map<string, unknown>>()
  for (const f of baseline) {
    const m = new Map<string, unknown>()
    for (const s of f.series) m.set(canonicalKey(s.attributes), s)
    old.set(`${f.type}:${f.name}`, m)
  }
  return current.map((f): FamilySnapshot => {
    const before = old.get(`${f.type}:${f.name}`)
    if (f.type === 'counter') {
      return {
        ...f,
        series: f.series
          .map((s) => {
            const b = before?.get(canonicalKey(s.attributes)) as { value: number } | undefined
            return { attributes: s.attributes, value: s.value - (b?.value ?? 0) }
          })
          .filter((s) => s.value > 0),
      }
    }
    return {
      ...f,
      series: f.series
        .map((s): HistogramSeriesSnapshot => {
          const b = before?.get(canonicalKey(s.attributes)) as HistogramSeriesSnapshot | undefined
          if (b === undefined) return s
          const fine = subtractSparse(s.fine, b.fine)
          return {
            attributes: s.attributes,
            count: s.count - b.count,
            sum: s.sum - b.sum,
            // the exact extremes of a window are not kept: those since start bound the estimates
            min: s.min,
            max: s.max,
            counts: s.counts.map((c, i) => c - (b.counts[i] ?? 0)),
            fine,
          }
        })
        .filter((s) => s.count > 0),
    }
  })
}

export function subtractQueries(current: QueryRecord[], baseline: QueryRecord[]): QueryRecord[] {
  const old = new Map(baseline.map((q) => [q.fingerprint, q]))
  const out: QueryRecord[] = []
  for (const q of current) {
    const b = old.get(q.fingerprint)
    if (b === undefined) {
      out.push(q)
      continue
    }
    const count = q.count - b.count
    if (count <= 0) continue
    out.push({
      ...q,
      count,
      errors: q.errors - b.errors,
      rows: q.rows - b.rows,
      totalMs: q.totalMs - b.totalMs,
      fine: subtractSparse(q.fine, b.fine),
    })
  }
  return out
}
