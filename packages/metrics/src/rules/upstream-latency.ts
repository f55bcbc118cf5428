// upstream-latency: an upstream's p95 over enough requests above the threshold.
import { ms, type Recommendation, type Rule, severityAbove } from './types.ts'

export const upstreamLatency: Rule = {
  id: 'upstream-latency',
  thresholds: ['upstreamP95', 'upstreamMinRequests'],
  evaluate(report) {
    const t = report.thresholds
    const out: Recommendation[] = []
    for (const u of report.upstreams) {
      if (u.count < t.upstreamMinRequests || !(u.p95Ms > t.upstreamP95)) continue
      out.push({
        rule: 'upstream-latency',
        severity: severityAbove(u.p95Ms, t.upstreamP95),
        subject: `upstream ${u.client} ${u.server}`,
        evidence: {
          p95Ms: u.p95Ms,
          p99Ms: u.p99Ms,
          requests: u.count,
          cacheHits: u.cache.hit ?? 0,
          threshold: t.upstreamP95,
        },
        advice: `p95 ${ms(u.p95Ms)} over ${u.count} requests (threshold ${ms(t.upstreamP95)}): cache its responses (HTTP cache or cache.getOrSet with stale-while-revalidate), set tighter timeouts, and put a breaker in front of it.`,
      })
    }
    return out
  },
}
