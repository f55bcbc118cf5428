// slow-query: statements whose p95 over enough runs exceeds the threshold (warning/critical), or that ran slow
// now and then (info). The database's own analysis is put in words: never a raw EXPLAIN blob.
import { quantile } from '../fine.ts'
import { ms, r3, type Recommendation, type Rule, severityAbove } from './types.ts'

interface PlanNode {
  type: string
  relation?: string
  index?: string
}

/** Node types of an EXPLAIN (FORMAT JSON) plan, or of SQLite's EXPLAIN QUERY PLAN rows. */
function planNodes(plan: unknown, out: PlanNode[] = [], depth = 0): PlanNode[] {
  if (depth > 20 || plan === null || typeof plan !== 'object') return out
  if (Array.isArray(plan)) {
    for (const p of plan) planNodes(p, out, depth + 1)
    return out
  }
  const o = plan as Record<string, unknown>
  if (typeof o['Node Type'] === 'string') {
    const node: PlanNode = { type: o['Node Type'] }
    if (typeof o['Relation Name'] === 'string') node.relation = o['Relation Name']
    if (typeof o['Index Name'] === 'string') node.index = o['Index Name']
    out.push(node)
  } else if (typeof o.detail === 'string') {
    out.push({ type: o.detail })
  }
  for (const key of ['Plan', 'Plans', 'plan']) if (key in o) planNodes(o[key], out, depth + 1)
  return out
}

export interface FindingText {
  /** One line for the evidence. */
  text: string
  /** What to do about it. */
  advice: string
}

/** Words for what the database said about a statement: analysis findings or a plan. */
export function describeFinding(finding: unknown): FindingText | undefined {
  if (finding === undefined || finding === null) return undefined
  if (Array.isArray(finding) && finding.some((f) => typeof f === 'object' && f !== null && 'kind' in f)) {
    const items = (finding as Array<Record<string, unknown>>).filter((f) => typeof f?.kind === 'string')
    const text = items
      .map((f) => `${f.kind}${typeof f.table === 'string' ? ` on ${f.table}` : ''}`)
      .join(', ')
    const suggestions = items.map((f) => f.suggestion).filter((s): s is string => typeof s === 'string')
    const messages = items.map((f) => f.message).filter((s): s is string => typeof s === 'string')
    return {
      text,
      advice:
        suggestions.length > 0
          ? `${text}: ${suggestions.join('; ')}`
          : `${text}${messages.length > 0 ? `: ${messages.join('; ')}` : ''}`,
    }
  }
  const nodes = planNodes(finding)
  if (nodes.length === 0) return undefined
  const words = nodes
    .slice(0, 4)
    .map((n) => `${n.type}${n.relation ? ` on ${n.relation}` : ''}${n.index ? ` using ${n.index}` : ''}`)
    .join(', ')
  const scans = nodes.filter((n) => /^Seq Scan$|^SCAN /.test(n.type))
  if (scans.length === 0) {
    return {
      text: `plan: ${words}`,
      advice: `The plan already uses an index (${words}): the time is not the plan: look at lock waits, pool waits, round trips (batch or cache the reads) and the rows returned`,
    }
  }
  return {
    text: `plan: ${words}`,
    advice: `The plan scans whole tables (${words}): add the index its filter and sort need (db.analyze() suggests one)`,
  }
}

export const slowQuery: Rule = {
  id: 'slow-query',
  thresholds: ['slowQuery', 'slowQueryMinCount'],
  evaluate(report) {
    const t = report.thresholds
    const out: Recommendation[] = []
    const seen = new Set<string>()
    const findingOf = (fingerprint: string) =>
      describeFinding(report.queries.slow.find((s) => s.fingerprint === fingerprint)?.finding)
    for (const q of report.queryRecords) {
      if (q.count < t.slowQueryMinCount) continue
      const p95Ms =
        quantile({ count: q.count, min: q.minSeconds, max: q.maxSeconds, fine: q.fine }, 0.95) * 1000
      if (!(p95Ms > t.slowQuery)) continue
      seen.add(q.fingerprint)
      const finding = findingOf(q.fingerprint)
      const figures = `p95 ${ms(p95Ms)} over ${q.count} runs (mean ${ms(q.totalMs / q.count)}, threshold ${ms(t.slowQuery)})`
      out.push({
        rule: 'slow-query',
        severity: severityAbove(p95Ms, t.slowQuery),
        subject: q.summary || q.fingerprint,
        evidence: {
          fingerprint: q.fingerprint,
          count: q.count,
          p95Ms: r3(p95Ms),
          meanMs: r3(q.totalMs / q.count),
          maxMs: r3(q.maxMs),
          totalMs: r3(q.totalMs),
          finding: finding?.text ?? null,
          threshold: t.slowQuery,
          minCount: t.slowQueryMinCount,
        },
        advice:
          finding !== undefined
            ? `${figures}. ${finding.advice}; cache the result if it is read often.`
            : `${figures}: run db.analyze() on it: add the index its filter and sort need, avoid SELECT * and OFFSET pagination, and cache the result if it is read often.`,
      })
    }
    for (const s of report.queries.slow) {
      if (seen.has(s.fingerprint) || !(s.maxMs > t.slowQuery)) continue
      const finding = describeFinding(s.finding)
      out.push({
        rule: 'slow-query',
        severity: 'info',
        subject: s.summary || s.fingerprint,
        evidence: {
          fingerprint: s.fingerprint,
          slowRuns: s.count,
          maxMs: s.maxMs,
          finding: finding?.text ?? null,
          threshold: t.slowQuery,
        },
        advice: `Occasionally slow (${s.count} runs over ${ms(t.slowQuery)}, max ${ms(s.maxMs)}; p95 is fine or too few runs to judge): check lock waits and plan changes${finding === undefined ? '; run db.analyze() on it' : `. ${finding.advice}`}.`,
      })
    }
    return out
  },
}
