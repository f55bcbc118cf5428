// The final table printed by the CLI.
import type { LoadResult, NameResult } from './result.ts'
import { formatBytes, formatCount, formatMs } from './units.ts'

export function formatResult(r: LoadResult): string {
  const o = r.options
  const l = r.latency
  const q = r.requests
  const lines: string[] = []
  const model =
    o.model === 'open'
      ? `open model, ${o.rate !== null ? `${o.rate} req/s` : 'staged rate'}`
      : `closed model, ${o.connections} connections x ${o.pipelining} pipelining`
  lines.push(
    `${r.target.method} ${r.target.url} — ${model}, ${formatMs(r.durationMs)}${o.workers > 1 ? `, ${o.workers} workers` : ''}${r.protocol ? `, ${r.protocol}` : ''}${r.aborted ? ' (aborted)' : ''}`,
  )
  lines.push('')
  lines.push(
    'Latency   p50       p75       p90       p95       p99       p99.9     max       mean      stdev',
  )
  lines.push(
    `          ${[l.p50, l.p75, l.p90, l.p95, l.p99, l.p99_9, l.max, l.mean, l.stdev].map((v) => formatMs(v).padEnd(10)).join('')}`.trimEnd(),
  )
  if (o.model === 'open') {
    const u = r.latencyUncorrected
    lines.push(
      `  sent->   ${[u.p50, u.p75, u.p90, u.p95, u.p99, u.p99_9, u.max, u.mean, u.stdev].map((v) => formatMs(v).padEnd(10)).join('')}`.trimEnd(),
    )
    lines.push('          (first row from the intended send time; "sent->" from the real send, like wrk2 -U)')
  }
  lines.push('')
  lines.push(
    `Requests  ${formatCount(q.completed)} completed, ${formatCount(q.ok)} ok, ${formatCount(q.errors)} errors, ${formatCount(q.sent)} sent` +
      (o.model === 'open' ? `, ${formatCount(q.late)} late, ${formatCount(q.dropped)} dropped` : '') +
      (q.cancelled > 0 ? `, ${formatCount(q.cancelled)} cancelled` : ''),
  )
  lines.push(
    `Throughput ${formatCount(r.throughput.rps)} req/s, ${formatBytes(r.throughput.bytesPerSecond)}/s` +
      (o.model === 'open' ? `, send rate ${formatCount(r.throughput.sendRate)}/s` : ''),
  )
  const g = r.generator
  lines.push(
    `Generator event-loop delay p99 ${formatMs(g.eventLoopDelayMs.p99)}, max ${formatMs(g.eventLoopDelayMs.max)}` +
      (o.model === 'open'
        ? `; late sends ${(g.lateShare * 100).toFixed(1)}% (${(g.generatorLateShare * 100).toFixed(1)}% with a free connection)`
        : '') +
      (g.cpuPerRequestUs > 0
        ? `; busy ${Math.round(g.busyShare * 100)}%, ${g.cpuPerRequestUs} µs CPU/request`
        : ''),
  )
  const statuses = Object.entries(r.statusCodes)
  if (statuses.length > 0)
    lines.push(`Status    ${statuses.map(([k, v]) => `${k}: ${formatCount(v)}`).join(', ')}`)
  const errors = Object.entries(r.errors)
  if (errors.length > 0)
    lines.push(`Errors    ${errors.map(([k, v]) => `${k}: ${formatCount(v)}`).join(', ')}`)
  const names = Object.entries(r.names ?? {})
  if (names.length > 0) {
    lines.push('')
    lines.push(...formatNames(names))
  }
  for (const w of r.warnings) lines.push(`Warning   ${w}`)
  if (r.thresholds.length > 0) {
    lines.push('')
    lines.push('Thresholds')
    for (const t of r.thresholds) {
      const actual =
        t.actual === null
          ? ''
          : t.unit === 'ms'
            ? formatMs(t.actual)
            : `${formatCount(t.actual)}${t.unit === '%' ? '%' : ''}`
      const why = t.reason
        ? t.actual === null
          ? t.reason
          : `${t.reason}, actual ${actual}`
        : `actual ${actual}`
      lines.push(`  ${t.pass ? 'PASS' : 'FAIL'}  ${t.expression}  (${why})`)
    }
  }
  return lines.join('\n')
}

/** The per-name table: one row per request name. */
function formatNames(names: Array<[string, NameResult]>): string[] {
  const head = ['Name', 'requests', 'ok', 'errors', 'req/s', 'p50', 'p90', 'p99', 'max']
  const rows = names.map(([name, n]) => [
    name,
    formatCount(n.requests.completed),
    formatCount(n.requests.ok),
    formatCount(n.requests.errors),
    formatCount(n.rps),
    formatMs(n.latency.p50),
    formatMs(n.latency.p90),
    formatMs(n.latency.p99),
    formatMs(n.latency.max),
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd()
  const out = [line(head), ...rows.map(line)]
  for (const [name, n] of names) {
    const errors = Object.entries(n.errors)
    if (errors.length > 0)
      out.push(`  ${name}: ${errors.map(([k, v]) => `${k}: ${formatCount(v)}`).join(', ')}`)
  }
  return out
}
