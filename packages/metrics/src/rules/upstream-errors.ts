// upstream-errors: an upstream's error rate over enough requests above the threshold.
import { pct, type Recommendation, type Rule, severityAbove } from './types.ts'

export const upstreamErrors: Rule = {
  id: 'upstream-errors',
  thresholds: ['upstreamErrorRate', 'upstreamMinRequests'],
  evaluate(report) {
    const t = report.thresholds
    const out: Recommendation[] = []
    for (const u of report.upstreams) {
      if (u.count < t.upstreamMinRequests || !(u.errorRate > t.upstreamErrorRate)) continue
      out.push({
        rule: 'upstream-errors',
        severity: severityAbove(u.errorRate, t.upstreamErrorRate * 5),
        subject: `upstream ${u.client} ${u.server}`,
        evidence: {
          errorRate: u.errorRate,
          errors: u.errors,
          requests: u.count,
          threshold: t.upstreamErrorRate,
        },
        advice: `${u.errors} of ${u.count} requests failed (${pct(u.errorRate)}, threshold ${pct(t.upstreamErrorRate)}): enable the circuit breaker so failures fail fast, retry idempotent requests with backoff, and serve stale cached responses while it recovers.`,
      })
    }
    return out
  },
}
