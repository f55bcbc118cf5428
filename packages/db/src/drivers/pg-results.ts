// pg's answers as the driver contract's results: rows of a statement, and an EXPLAIN (FORMAT JSON) plan
// with its sequential scans.
import type { PgPlanNode, PgResult } from './pg-types.ts'
import type { ExecResult, FullScan, Plan } from './types.ts'

/** pg's Result (or, for a multi-statement simple query, the last of its Results) as an ExecResult. */
export function toResult(r: PgResult | PgResult[]): ExecResult {
  const last = Array.isArray(r) ? (r[r.length - 1] ?? { rows: [], rowCount: 0 }) : r
  return { rows: last.rows, rowCount: last.rowCount ?? last.rows.length }
}

export function toPlan(r: PgResult): Plan {
  const plan = r.rows[0]?.['QUERY PLAN']
  const doc = (typeof plan === 'string' ? JSON.parse(plan) : plan) as { Plan: PgPlanNode }[]
  const fullScans: FullScan[] = []
  walk(doc[0]?.Plan, fullScans)
  return { plan: doc, fullScans }
}

function walk(node: PgPlanNode | undefined, out: FullScan[]): void {
  if (node === undefined) return
  if (node['Node Type'] === 'Seq Scan' && node['Relation Name'] !== undefined) {
    const filter = node.Filter ? ` Filter: ${node.Filter}` : ''
    out.push({ table: node['Relation Name'], detail: `Seq Scan on ${node['Relation Name']}${filter}` })
  }
  for (const child of node.Plans ?? []) walk(child, out)
}
