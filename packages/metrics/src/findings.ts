// What the database itself says about its slow statements (duck-typed: @hotpath/db is never imported).
import type { Observable } from './observe.ts'

export class SlowQueryFindings {
  /** Analysis findings by fingerprint: EXPLAIN runs once per statement, not on every report. */
  private readonly cache: Map<string, unknown> = new Map()

  /**
   * Findings for slow statements of observed databases, by fingerprint (duck-typed, optional): the
   * `analyze(sql)` findings when the database offers it and finds something, else the plan of `slowQueries()`.
   */
  async findings(targets: Iterable<Observable>): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>()
    const deadline = <T>(p: Promise<T>): Promise<T | undefined> =>
      Promise.race([
        p,
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 1000).unref()),
      ])
    for (const target of targets) {
      const db = target as { slowQueries?: unknown; analyze?: unknown }
      if (typeof db.slowQueries !== 'function') continue
      try {
        const list = await deadline(Promise.resolve((db.slowQueries as () => unknown).call(target)))
        if (!Array.isArray(list)) continue
        for (const entry of (list as Array<Record<string, unknown>>).slice(0, 10)) {
          if (typeof entry.fingerprint !== 'string') continue
          let finding: unknown = entry.findings ?? entry.analysis ?? this.cache.get(entry.fingerprint)
          if (finding === undefined && typeof db.analyze === 'function' && typeof entry.sql === 'string') {
            try {
              const analysis = (await deadline(
                Promise.resolve((db.analyze as (sql: string) => unknown).call(target, entry.sql)),
              )) as { findings?: unknown } | undefined
              if (Array.isArray(analysis?.findings) && analysis.findings.length > 0) {
                finding = analysis.findings
                // EXPLAIN once per statement, not on every report
                if (this.cache.size < 200) this.cache.set(entry.fingerprint, finding)
              }
            } catch {
              // analysis is best effort
            }
          }
          finding ??= entry.plan
          if (finding !== undefined) out.set(entry.fingerprint, finding)
        }
      } catch {
        // a failing optional source never breaks the report
      }
    }
    return out
  }
}
