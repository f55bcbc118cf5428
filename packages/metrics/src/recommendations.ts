// Turns the figures of the window into advice: every rule of rules/index.ts, each a pure function.
import type { QueryRecord } from './queries.ts'
import type { PerformanceReport, ReportWindow } from './report-types.ts'
import { RULES } from './rules/index.ts'
import type { Recommendation } from './rules/types.ts'
import type { Thresholds } from './thresholds.ts'

export type { Recommendation, RuleId, Severity } from './rules/types.ts'

type ReportView = Omit<PerformanceReport, 'recommendations' | 'window'>

export function recommend(
  report: ReportView,
  queries: QueryRecord[],
  t: Thresholds,
  window?: ReportWindow,
): Recommendation[] {
  const w: ReportWindow = window ?? { seconds: report.uptimeSeconds, configuredSeconds: report.uptimeSeconds }
  const judged = { ...report, thresholds: t, queryRecords: queries }
  return RULES.flatMap((rule) => rule.evaluate(judged, w)).map((r) => ({
    ...r,
    evidence: { ...r.evidence, windowSeconds: w.seconds },
  }))
}
