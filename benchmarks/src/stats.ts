import type { Better, RawRun, ResultRow, Spread, SuiteMeta, Target, TargetResult } from './suite.ts'

/** Linear-interpolated quantile q in [0, 1] of the values. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const pos = (sorted.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo)
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5)
}

export function spread(values: readonly number[]): Spread {
  return { median: quantile(values, 0.5), q1: quantile(values, 0.25), q3: quantile(values, 0.75) }
}

export function baselineFor(meta: Pick<SuiteMeta, 'baseline'>, group: string): string {
  return typeof meta.baseline === 'string' ? meta.baseline : (meta.baseline[group] ?? '')
}

/** Per-round ratios a[r] / b[r]: both figures of a ratio come from the same round. */
export function roundRatios(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.min(a.length, b.length)
  return Array.from({ length: n }, (_, r) => (a[r] as number) / (b[r] as number))
}

/** Turns a raw run into result rows with per-round ratios to each group's baseline. */
export function summarize(raw: Pick<RawRun, 'meta' | 'samples'> & Partial<RawRun>): ResultRow[] {
  const { meta, samples } = raw
  const rows: ResultRow[] = meta.contenders.map((c) => {
    const values = samples[c.name] ?? []
    const group = c.group ?? 'default'
    const s = spread(values)
    const cpu = raw.cpuPerOp?.[c.name]
    const share = raw.cpuShare?.[c.name]
    return {
      name: c.name,
      group,
      ...(c.config ? { config: c.config } : {}),
      median: s.median,
      q1: s.q1,
      q3: s.q3,
      min: Math.min(...values),
      max: Math.max(...values),
      unit: c.unit ?? meta.unit,
      better: (c.better ?? meta.better ?? 'higher') as Better,
      samples: values,
      ...(cpu && cpu.length > 0 ? { cpuPerOpUs: median(cpu) } : {}),
      ...(share && share.length > 0 ? { cpuShare: median(share) } : {}),
      baseline: baselineFor(meta, group),
      ratio: Number.NaN,
      ratioQ1: Number.NaN,
      ratioQ3: Number.NaN,
    }
  })
  for (const row of rows) {
    const base = samples[row.baseline]
    if (!base) continue
    const r = spread(roundRatios(row.samples, base))
    row.ratio = r.median
    row.ratioQ1 = r.q1
    row.ratioQ3 = r.q3
  }
  return rows
}

/** A target is met only when the MEDIAN per-round ratio passes; the IQR is reported beside it. */
export function evaluateTargets(
  targets: readonly Target[],
  samples: Record<string, number[]>,
): TargetResult[] {
  return targets.map((t) => {
    const a = samples[t.name]
    const b = samples[t.vs]
    const r = a && b ? spread(roundRatios(a, b)) : { median: Number.NaN, q1: Number.NaN, q3: Number.NaN }
    const pass =
      Number.isFinite(r.median) &&
      (t.atLeast === undefined || r.median >= t.atLeast) &&
      (t.atMost === undefined || r.median <= t.atMost)
    return { ...t, ratio: r.median, ratioQ1: r.q1, ratioQ3: r.q3, pass }
  })
}
