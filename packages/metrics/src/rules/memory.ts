// memory: rss against the memory limit (cgroup or total), or old-generation heap against its own limit
// (heap_size_limit includes the young generation, so a heap ratio against it cannot reach 80 % before OOM).
import { processSubject } from './cpu.ts'
import { pct, r3, type Recommendation, type Rule } from './types.ts'

const MiB = 2 ** 20

export const memory: Rule = {
  id: 'memory',
  thresholds: ['memoryUtilization'],
  evaluate(report) {
    const t = report.thresholds
    const out: Recommendation[] = []
    for (const w of report.workers) {
      const rt = w.runtime
      if (rt === undefined || !(rt.memoryUtilization > t.memoryUtilization)) continue
      const rssRatio = rt.rssBytes / rt.memoryLimitBytes
      const heapRatio =
        rt.oldGenerationLimitBytes > 0 ? rt.oldGenerationUsedBytes / rt.oldGenerationLimitBytes : 0
      const which =
        heapRatio >= rssRatio
          ? `old-generation heap at ${Math.round(rt.oldGenerationUsedBytes / MiB)} MiB of ${Math.round(rt.oldGenerationLimitBytes / MiB)} MiB (${pct(heapRatio)})`
          : `rss at ${Math.round(rt.rssBytes / MiB)} MiB of ${Math.round(rt.memoryLimitBytes / MiB)} MiB (${pct(rssRatio)})`
      out.push({
        rule: 'memory',
        severity: rt.memoryUtilization >= 0.95 ? 'critical' : 'warning',
        subject: processSubject(report.workers.length, w.worker, w.pid),
        evidence: {
          memoryUtilization: r3(rt.memoryUtilization),
          rssBytes: rt.rssBytes,
          memoryLimitBytes: rt.memoryLimitBytes,
          heapUsedBytes: rt.heapUsedBytes,
          oldGenerationUsedBytes: rt.oldGenerationUsedBytes,
          oldGenerationLimitBytes: rt.oldGenerationLimitBytes,
          threshold: t.memoryUtilization,
        },
        advice: `Memory is close to its limit: ${which}, threshold ${pct(t.memoryUtilization)}: bound in-process caches by bytes (maxSize), look for leaks (heap snapshot), or raise the limit (--max-old-space-size, container memory).`,
      })
    }
    return out
  },
}
