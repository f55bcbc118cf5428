// cpu: a process whose CPU time over the runtime sample window exceeds the threshold (fraction of one core).
import { pct, r3, type Recommendation, type Rule } from './types.ts'

export const cpu: Rule = {
  id: 'cpu',
  thresholds: ['cpuUtilization'],
  evaluate(report) {
    const t = report.thresholds
    const out: Recommendation[] = []
    for (const w of report.workers) {
      const rt = w.runtime
      if (rt === undefined || !(rt.cpuUtilization > t.cpuUtilization)) continue
      out.push({
        rule: 'cpu',
        severity: rt.cpuUtilization >= 0.95 ? 'critical' : 'warning',
        subject: processSubject(report.workers.length, w.worker, w.pid),
        evidence: {
          cpuUtilization: r3(rt.cpuUtilization),
          windowMs: r3(rt.windowMs),
          threshold: t.cpuUtilization,
        },
        advice: `CPU at ${pct(rt.cpuUtilization)} of one core over the last ${Math.round(rt.windowMs / 1000)} s (threshold ${pct(t.cpuUtilization)}): the JavaScript thread is busy most of the time: scale out (more instances) or run node:cluster workers, and move CPU-heavy work (serialisation, crypto, parsing) to worker threads or cache its result.`,
      })
    }
    return out
  },
}

export function processSubject(workers: number, worker: string, pid: number): string {
  return workers > 1 ? `process ${worker} (pid ${pid})` : `process ${pid}`
}
