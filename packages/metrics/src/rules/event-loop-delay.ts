// event-loop-delay: event-loop delay p99 over the runtime sample window above the threshold.
import { processSubject } from './cpu.ts'
import { ms, r3, type Recommendation, type Rule, severityAbove } from './types.ts'

export const eventLoopDelay: Rule = {
  id: 'event-loop-delay',
  thresholds: ['eventLoopDelayP99'],
  evaluate(report) {
    const t = report.thresholds
    const out: Recommendation[] = []
    for (const w of report.workers) {
      const rt = w.runtime
      if (rt === undefined || !(rt.eventLoopDelayMs.p99 > t.eventLoopDelayP99)) continue
      out.push({
        rule: 'event-loop-delay',
        severity: severityAbove(rt.eventLoopDelayMs.p99, t.eventLoopDelayP99),
        subject: processSubject(report.workers.length, w.worker, w.pid),
        evidence: {
          p50Ms: r3(rt.eventLoopDelayMs.p50),
          p99Ms: r3(rt.eventLoopDelayMs.p99),
          maxMs: r3(rt.eventLoopDelayMs.max),
          eventLoopUtilization: r3(rt.eventLoopUtilization),
          threshold: t.eventLoopDelayP99,
        },
        advice: `Event-loop delay p99 ${ms(rt.eventLoopDelayMs.p99)} (max ${ms(rt.eventLoopDelayMs.max)}, threshold ${ms(t.eventLoopDelayP99)}): something blocks the event loop: find synchronous work (JSON of large bodies, sync fs/crypto, long loops) with --cpu-prof and move it to worker threads or split it with setImmediate.`,
      })
    }
    return out
  },
}
