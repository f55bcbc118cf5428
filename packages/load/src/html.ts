// `--html report.html`: one self-contained offline file (inline CSS and SVG, the JSON result embedded).
import { decodeHistogram, percentileCurve } from './histogram.ts'
import { formatResult } from './report-text.ts'
import type { LoadResult } from './result.ts'
import { barChart, esc, lineChart } from './svg.ts'
import { formatMs } from './units.ts'

const colors = {
  p50: '#2b8a3e',
  p90: '#1971c2',
  p99: '#e8590c',
  max: '#c92a2a',
  rps: '#5f3dc4',
  errors: '#c92a2a',
}

// The last second is usually partial: plot its rate, not its raw count.
const perSecond = (n: number, p: { durationMs: number }) => (n * 1000) / Math.max(1, p.durationMs || 1000)

export function renderHtmlReport(r: LoadResult): string {
  const ts = r.timeseries
  // The x axis ends at the run's end (the last, usually partial, second included).
  const runSeconds = Math.max(1, Math.ceil(r.durationMs / 1000), ts.at(-1)?.second ?? 0)
  const latencyOverTime = lineChart({
    id: 'latency-over-time',
    title: 'Latency percentiles per second (log scale)',
    xLabel: 'second',
    yFormat: formatMs,
    yLog: true,
    xMin: 0,
    xMax: runSeconds,
    tip: (name, x, y) => `second ${x}: ${name} ${formatMs(y)}`,
    series: (['p50', 'p90', 'p99', 'max'] as const).map((k) => ({
      name: k,
      color: colors[k],
      points: ts.map((p) => [p.second, p[k]] as [number, number]),
    })),
  })
  const rpsOverTime = lineChart({
    id: 'rps-over-time',
    title: 'Requests per second',
    xLabel: 'second',
    yFormat: (v) => String(Math.round(v)),
    xMin: 0,
    xMax: runSeconds,
    tip: (name, x, y) => `second ${x}: ${Math.round(y)} ${name}`,
    series: [
      {
        name: 'req/s',
        color: colors.rps,
        points: ts.map((p) => [p.second, perSecond(p.requests, p)] as [number, number]),
      },
      {
        name: 'errors/s',
        color: colors.errors,
        points: ts.map((p) => [p.second, perSecond(p.errors, p)] as [number, number]),
      },
    ],
  })
  const sends = lineChart({
    id: 'sends-over-time',
    title: 'Sends per second (sent, late, dropped)',
    xLabel: 'second',
    yFormat: (v) => String(Math.round(v)),
    xMin: 0,
    xMax: runSeconds,
    tip: (name, x, y) => `second ${x}: ${Math.round(y)} ${name}`,
    series: [
      {
        name: 'sent/s',
        color: colors.rps,
        points: ts.map((p) => [p.second, perSecond(p.sent ?? 0, p)] as [number, number]),
      },
      {
        name: 'late/s',
        color: colors.p99,
        points: ts.map((p) => [p.second, perSecond(p.late ?? 0, p)] as [number, number]),
      },
      {
        name: 'dropped/s',
        color: colors.errors,
        points: ts.map((p) => [p.second, perSecond(p.dropped ?? 0, p)] as [number, number]),
      },
    ],
  })
  // Percentile axis in "nines": x = -log10(1 - p/100), so 90% -> 1, 99% -> 2, 99.9% -> 3.
  const nines = (p: number) => (p >= 100 ? 5 : -Math.log10(1 - p / 100))
  const curve = percentileCurve(decodeHistogram(r.histogram)).map(
    ([p, v]) => [Math.min(5, nines(p)), v] as [number, number],
  )
  const distribution = lineChart({
    id: 'latency-distribution',
    title: 'Latency distribution (percentile)',
    xLabel: 'percentile',
    yFormat: formatMs,
    xMin: 0,
    xMax: 5,
    xTicks: [
      [0, '0%'],
      [1, '90%'],
      [2, '99%'],
      [3, '99.9%'],
      [4, '99.99%'],
      [5, '100%'],
    ],
    series: [{ name: 'latency', color: colors.p99, points: curve }],
    tip: (_name, x, y) =>
      `${x >= 5 ? 'max' : `p${Number((100 * (1 - 10 ** -x)).toFixed(4))}`}: ${formatMs(y)}`,
  })
  const bars = [
    ...Object.entries(r.statusCodes).map(([code, n]) => ({
      label: `HTTP ${code}`,
      value: n,
      color: Number(code) >= 500 ? '#c92a2a' : Number(code) >= 400 ? '#e8590c' : '#2b8a3e',
    })),
    ...Object.entries(r.errors)
      .filter(([code]) => !code.startsWith('HTTP_'))
      .map(([code, n]) => ({ label: code, value: n, color: '#868e96' })),
  ]
  const status = barChart({ id: 'status-breakdown', title: 'Status codes and errors', bars })
  const data = JSON.stringify(r).replaceAll('<', '\\u003c')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hotpath-load report: ${esc(r.target.method)} ${esc(r.target.url)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #212529; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; }
.meta { color: #495057; margin-bottom: 16px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(640px, 1fr)); gap: 16px; }
.chart { border: 1px solid #dee2e6; border-radius: 6px; background: #fff; max-width: 100%; height: auto; }
.chart .title { font-weight: 600; font-size: 14px; }
.chart .tick { font-size: 11px; fill: #495057; }
.chart .grid { stroke: #f1f3f5; }
.chart .axis { stroke: #adb5bd; }
pre { background: #f8f9fa; padding: 12px; border-radius: 6px; overflow: auto; }
table.names { border-collapse: collapse; margin: 8px 0 16px; }
table.names th, table.names td { padding: 4px 10px; border-bottom: 1px solid #dee2e6; text-align: right; }
table.names th:first-child, table.names td:first-child { text-align: left; }
.fail { color: #c92a2a; font-weight: 600; } .pass { color: #2b8a3e; font-weight: 600; }
</style>
</head>
<body>
<h1>hotpath-load report</h1>
<div class="meta">${esc(r.target.method)} ${esc(r.target.url)} · ${esc(r.options.model)} model${r.protocol ? ` · ${esc(r.protocol)}` : ''} · started ${esc(r.startedAt)} · schema v${r.schemaVersion}</div>
${(r.warnings ?? []).map((w) => `<p class="fail">Warning: ${esc(w)}</p>`).join('')}
${r.thresholds.length > 0 ? `<ul>${r.thresholds.map((t) => `<li class="${t.pass ? 'pass' : 'fail'}">${t.pass ? 'PASS' : 'FAIL'} ${esc(t.expression)}</li>`).join('')}</ul>` : ''}
<div class="charts">
${latencyOverTime}
${rpsOverTime}
${sends}
${distribution}
${status}
</div>
${namesTable(r)}
<h2>Summary</h2>
<pre>${esc(formatResult(r))}</pre>
<script type="application/json" id="hotpath-load-result">${data}</script>
</body>
</html>
`
}

/** Per-name table (scenario runs): counts, rps, latency percentiles and errors of each request name. */
function namesTable(r: LoadResult): string {
  const names = Object.entries(r.names ?? {})
  if (names.length === 0) return ''
  const rows = names.map(([name, n]) => {
    const errors = Object.entries(n.errors)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ')
    const cells = [
      n.requests.completed,
      n.requests.ok,
      n.requests.errors,
      n.rps,
      formatMs(n.latency.p50),
      formatMs(n.latency.p90),
      formatMs(n.latency.p99),
      formatMs(n.latency.p99_9),
      formatMs(n.latency.max),
    ]
    return `<tr><td>${esc(name)}</td>${cells.map((c) => `<td>${esc(String(c))}</td>`).join('')}<td>${esc(errors)}</td></tr>`
  })
  return `<h2>Requests by name</h2>
<table id="names" class="names"><thead><tr><th>name</th><th>requests</th><th>ok</th><th>errors</th><th>req/s</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th><th>errors by code</th></tr></thead>
<tbody>${rows.join('')}</tbody></table>`
}
