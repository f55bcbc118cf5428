// Rules that turn report figures into advice. Each rule is a pure function of the report.
import { quantile } from './fine.ts'
import type { QueryRecord } from './queries.ts'
import type { PerformanceReport, ReportWindow } from './report.ts'
import type { Thresholds } from './thresholds.ts'

export type Severity = 'info' | 'warning' | 'critical'

export interface Recommendation {
  /** Stable rule id: cache-hit-rate, cpu, memory, slow-query, pool-wait, event-loop-delay, upstream-errors, upstream-latency. */
  rule: string
  severity: Severity
  /** What the rule is about: a cache, a route, a query fingerprint, a pool, a worker. */
  subject: string
  /** The numbers the rule looked at, including the threshold. */
  evidence: Record<string, number | string | boolean | null>
  advice: string
}

type ReportView = Omit<PerformanceReport, 'recommendations' | 'window'>

const r3 = (v: number): number => Math.round(v * 1000) / 1000

function severityAbove(value: number, threshold: number): Severity {
  return value >= threshold * 2 ? 'critical' : 'warning'
}

export function recommend(
  report: ReportView,
  queries: QueryRecord[],
  t: Thresholds,
  window?: ReportWindow,
): Recommendation[] {
  const out = rules(report, queries, t)
  const windowSeconds = window?.seconds ?? report.uptimeSeconds
  return out.map((r) => ({ ...r, evidence: { ...r.evidence, windowSeconds } }))
}

function rules(report: ReportView, queries: QueryRecord[], t: Thresholds): Recommendation[] {
  const out: Recommendation[] = []

  for (const c of report.caches) {
    if (c.lookups < t.cacheMinLookups || c.hitRate >= t.cacheHitRate) continue
    out.push({
      rule: 'cache-hit-rate',
      severity: c.hitRate < t.cacheHitRate / 2 ? 'critical' : 'warning',
      subject: `cache ${c.name}`,
      evidence: {
        hitRate: c.hitRate,
        lookups: c.lookups,
        misses: c.misses,
        stale: c.stale,
        evictions: c.evictions,
        threshold: t.cacheHitRate,
      },
      advice:
        c.evictions > c.misses / 2
          ? 'Most misses follow evictions: raise the L1 size (max entries/bytes) or add an L2 tier.'
          : 'Raise the TTL (use grace/stale-while-revalidate for freshness) or widen the keys (drop per-user or per-request parts) so more lookups share an entry.',
    })
  }

  for (const w of report.workers) {
    const rt = w.runtime
    if (rt === undefined) continue
    const subject = report.workers.length > 1 ? `process ${w.worker} (pid ${w.pid})` : `process ${w.pid}`
    if (rt.cpuUtilization > t.cpuUtilization) {
      out.push({
        rule: 'cpu',
        severity: rt.cpuUtilization >= 0.95 ? 'critical' : 'warning',
        subject,
        evidence: {
          cpuUtilization: r3(rt.cpuUtilization),
          windowMs: r3(rt.windowMs),
          threshold: t.cpuUtilization,
        },
        advice:
          'The JavaScript thread is busy most of the time: scale out (more instances) or run node:cluster workers, and move CPU-heavy work (serialisation, crypto, parsing) to worker threads or cache its result.',
      })
    }
    if (rt.memoryUtilization > t.memoryUtilization) {
      out.push({
        rule: 'memory',
        severity: rt.memoryUtilization >= 0.95 ? 'critical' : 'warning',
        subject,
        evidence: {
          memoryUtilization: r3(rt.memoryUtilization),
          rssBytes: rt.rssBytes,
          memoryLimitBytes: rt.memoryLimitBytes,
          heapUsedBytes: rt.heapUsedBytes,
          heapLimitBytes: rt.heapLimitBytes,
          threshold: t.memoryUtilization,
        },
        advice:
          'Memory is close to its limit: bound in-process caches by bytes (maxSize), look for leaks (heap snapshot), or raise the limit (--max-old-space-size, container memory).',
      })
    }
    if (rt.eventLoopDelayMs.p99 > t.eventLoopDelayP99) {
      out.push({
        rule: 'event-loop-delay',
        severity: severityAbove(rt.eventLoopDelayMs.p99, t.eventLoopDelayP99),
        subject,
        evidence: {
          p50Ms: r3(rt.eventLoopDelayMs.p50),
          p99Ms: r3(rt.eventLoopDelayMs.p99),
          maxMs: r3(rt.eventLoopDelayMs.max),
          eventLoopUtilization: r3(rt.eventLoopUtilization),
          threshold: t.eventLoopDelayP99,
        },
        advice:
          'Something blocks the event loop: find synchronous work (JSON of large bodies, sync fs/crypto, long loops) with --cpu-prof and move it to worker threads or split it with setImmediate.',
      })
    }
  }

  const slowSeen = new Set<string>()
  for (const q of queries) {
    if (q.count === 0) continue
    const p95Ms =
      quantile({ count: q.count, min: q.minSeconds, max: q.maxSeconds, fine: q.fine }, 0.95) * 1000
    if (!(p95Ms > t.slowQuery)) continue
    slowSeen.add(q.fingerprint)
    const finding = report.queries.slow.find((s) => s.fingerprint === q.fingerprint)?.finding
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
        finding: finding === undefined ? null : JSON.stringify(finding),
        threshold: t.slowQuery,
      },
      advice:
        finding !== undefined
          ? `Apply the analysis finding (${JSON.stringify(finding).slice(0, 200)}), then cache the result if it is read often.`
          : 'Run db.analyze() on it: add the index its filter and sort need, avoid SELECT * and OFFSET pagination, and cache the result if it is read often.',
    })
  }
  for (const s of report.queries.slow) {
    if (slowSeen.has(s.fingerprint) || !(s.maxMs > t.slowQuery)) continue
    out.push({
      rule: 'slow-query',
      severity: 'info',
      subject: s.summary || s.fingerprint,
      evidence: {
        fingerprint: s.fingerprint,
        slowRuns: s.count,
        maxMs: s.maxMs,
        finding: s.finding === undefined ? null : JSON.stringify(s.finding),
        threshold: t.slowQuery,
      },
      advice: 'Occasionally slow (p95 is fine): check lock waits and plan changes; run db.analyze() on it.',
    })
  }

  for (const p of report.pools) {
    if (!(p.waitP95Ms > t.poolWaitP95) && p.timeouts === 0) continue
    out.push({
      rule: 'pool-wait',
      severity: p.timeouts > 0 ? 'critical' : 'warning',
      subject: `pool ${p.name}`,
      evidence: {
        waitP95Ms: p.waitP95Ms,
        waitMaxMs: p.waitMaxMs,
        useP95Ms: p.useP95Ms,
        pending: p.pending,
        timeouts: p.timeouts,
        size: p.size ?? null,
        max: p.max ?? null,
        threshold: t.poolWaitP95,
      },
      advice:
        'Callers wait for connections: raise the pool max (within what the database accepts) or shorten use (no I/O to other services while holding a connection, faster queries, cache reads).',
    })
  }

  for (const u of report.upstreams) {
    if (u.count < t.upstreamMinRequests) continue
    const subject = `upstream ${u.client} ${u.server}`
    if (u.errorRate > t.upstreamErrorRate) {
      out.push({
        rule: 'upstream-errors',
        severity: severityAbove(u.errorRate, t.upstreamErrorRate * 5),
        subject,
        evidence: {
          errorRate: u.errorRate,
          errors: u.errors,
          requests: u.count,
          threshold: t.upstreamErrorRate,
        },
        advice:
          'The upstream fails often: enable the circuit breaker so failures fail fast, retry idempotent requests with backoff, and serve stale cached responses while it recovers.',
      })
    }
    if (u.p95Ms > t.upstreamP95) {
      out.push({
        rule: 'upstream-latency',
        severity: severityAbove(u.p95Ms, t.upstreamP95),
        subject,
        evidence: {
          p95Ms: u.p95Ms,
          p99Ms: u.p99Ms,
          requests: u.count,
          cacheHits: u.cache.hit ?? 0,
          threshold: t.upstreamP95,
        },
        advice:
          'The upstream is slow: cache its responses (HTTP cache or cache.getOrSet with stale-while-revalidate), set tighter timeouts, and put a breaker in front of it.',
      })
    }
  }
  return out
}
