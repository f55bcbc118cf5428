// The shape of a recommendation rule: one file per rule under src/rules/, collected in rules/index.ts.
import type { QueryRecord } from '../queries.ts'
import type { PerformanceReport, ReportWindow } from '../report-types.ts'
import type { Thresholds } from '../thresholds.ts'

export type Severity = 'info' | 'warning' | 'critical'

/** Stable rule ids (the `rule` of a recommendation). */
export type RuleId =
  | 'cache-hit-rate'
  | 'cpu'
  | 'memory'
  | 'event-loop-delay'
  | 'slow-query'
  | 'pool-wait'
  | 'upstream-errors'
  | 'upstream-latency'

export interface Recommendation {
  rule: RuleId
  severity: Severity
  /** What the rule is about: a cache, a route, a query fingerprint, a pool, a worker. */
  subject: string
  /** The numbers the rule looked at, including the threshold and `windowSeconds`. */
  evidence: Record<string, number | string | boolean | null>
  advice: string
}

/** The figures a rule judges: those of the window, plus every query record of it (not only the top ones). */
export interface JudgedReport extends Omit<PerformanceReport, 'recommendations' | 'window'> {
  queryRecords: QueryRecord[]
}

export interface Rule {
  readonly id: RuleId
  /** The thresholds (keys of `Thresholds`) the rule reads. */
  readonly thresholds: ReadonlyArray<keyof Thresholds>
  evaluate(report: JudgedReport, window: ReportWindow): Recommendation[]
}

export const r3 = (v: number): number => Math.round(v * 1000) / 1000

export function severityAbove(value: number, threshold: number): Severity {
  return value >= threshold * 2 ? 'critical' : 'warning'
}

export const pct = (ratio: number): string => `${Math.round(ratio * 1000) / 10}%`

export const ms = (v: number): string => `${Math.round(v * 10) / 10} ms`
