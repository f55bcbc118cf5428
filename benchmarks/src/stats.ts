import type { Better, ResultRow, Suite, Target, TargetResult } from './suite.ts'

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  if (sorted.length === 0) return Number.NaN
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

export function baselineFor(suite: Suite, group: string): string {
  return typeof suite.baseline === 'string' ? suite.baseline : (suite.baseline[group] ?? '')
}

/** Turns raw samples per contender into result rows with ratios to each group's baseline. */
export function summarize(suite: Suite, samples: Map<string, number[]>): ResultRow[] {
  const rows: ResultRow[] = suite.contenders.map((c) => {
    const values = samples.get(c.name) ?? []
    const group = c.group ?? 'default'
    return {
      name: c.name,
      group,
      median: median(values),
      min: Math.min(...values),
      max: Math.max(...values),
      unit: c.unit ?? suite.unit,
      better: (c.better ?? suite.better ?? 'higher') as Better,
      samples: values,
      baseline: baselineFor(suite, group),
      ratio: Number.NaN,
    }
  })
  const byName = new Map(rows.map((r) => [r.name, r]))
  for (const row of rows) {
    const base = byName.get(row.baseline)
    row.ratio = base ? row.median / base.median : Number.NaN
  }
  return rows
}

export function evaluateTargets(targets: readonly Target[], rows: readonly ResultRow[]): TargetResult[] {
  const byName = new Map(rows.map((r) => [r.name, r]))
  return targets.map((t) => {
    const a = byName.get(t.name)
    const b = byName.get(t.vs)
    const ratio = a && b ? a.median / b.median : Number.NaN
    const pass =
      Number.isFinite(ratio) &&
      (t.atLeast === undefined || ratio >= t.atLeast) &&
      (t.atMost === undefined || ratio <= t.atMost)
    return { ...t, ratio, pass }
  })
}
