// pool-wait: callers wait for connections (p95 over enough acquisitions), or acquires time out.
import { ms, type Recommendation, type Rule } from './types.ts'

export const poolWait: Rule = {
  id: 'pool-wait',
  thresholds: ['poolWaitP95', 'poolMinAcquisitions'],
  evaluate(report) {
    const t = report.thresholds
    const out: Recommendation[] = []
    for (const p of report.pools) {
      const slow = p.acquisitions >= t.poolMinAcquisitions && p.waitP95Ms > t.poolWaitP95
      if (!slow && p.timeouts === 0) continue
      const size =
        p.max === undefined ? '' : ` (pool max ${p.max}, ${p.size ?? 0} open, ${p.pending} waiting)`
      out.push({
        rule: 'pool-wait',
        severity: p.timeouts > 0 ? 'critical' : 'warning',
        subject: `pool ${p.name}`,
        evidence: {
          acquisitions: p.acquisitions,
          waitP95Ms: p.waitP95Ms,
          waitMaxMs: p.waitMaxMs,
          useP95Ms: p.useP95Ms,
          pending: p.pending,
          timeouts: p.timeouts,
          size: p.size ?? null,
          max: p.max ?? null,
          threshold: t.poolWaitP95,
          minAcquisitions: t.poolMinAcquisitions,
        },
        advice: `${p.timeouts > 0 ? `${p.timeouts} acquires timed out; ` : ''}wait p95 ${ms(p.waitP95Ms)} over ${p.acquisitions} acquisitions (threshold ${ms(t.poolWaitP95)}), connections held p95 ${ms(p.useP95Ms)}${size}: raise the pool max (within what the database accepts) or shorten use (no I/O to other services while holding a connection, faster queries, cache reads).`,
      })
    }
    return out
  },
}
