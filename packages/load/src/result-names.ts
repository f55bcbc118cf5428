// The `names` block of a result: per-name totals summarised (latency percentiles, rps) with their histograms.
import { encodeHistogram, summarize } from './histogram.ts'
import type { NameTotals } from './name-stats.ts'
import type { NameResult } from './result.ts'

export function nameResults(
  totals: NameTotals,
  order: readonly string[],
  durationMs: number,
): Record<string, NameResult> {
  const out: Record<string, NameResult> = {}
  for (const [name, t] of totals.entries(order)) {
    let errors = 0
    for (const n of Object.values(t.errors)) errors += n
    out[name] = {
      requests: { completed: t.completed, responses: t.responses, ok: t.ok, errors },
      rps: Math.round((t.responses / Math.max(1, durationMs)) * 1000 * 100) / 100,
      latency: summarize(t.histogram),
      statusCodes: t.statusCodes,
      errors: t.errors,
      histogram: encodeHistogram(t.histogram),
    }
  }
  return out
}
