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
  const latencyOverTime = lineChart({
    id: 'latency-over-time',
    title: 'Latency percentiles per second',
    xLabel: 'second',
    yFormat: formatMs,
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
.fail { color: #c92a2a; font-weight: 600; } .pass { color: #2b8a3e; font-weight: 600; }
</style>
</head>
<body>
<h1>hotpath-load report</h1>
<div class="meta">${esc(r.target.method)} ${esc(r.target.url)} · ${esc(r.options.model)} model · started ${esc(r.startedAt)} · schema v${r.schemaVersion}</div>
${(r.warnings ?? []).map((w) => `<p class="fail">Warning: ${esc(w)}</p>`).join('')}
${r.thresholds.length > 0 ? `<ul>${r.thresholds.map((t) => `<li class="${t.pass ? 'pass' : 'fail'}">${t.pass ? 'PASS' : 'FAIL'} ${esc(t.expression)}</li>`).join('')}</ul>` : ''}
<div class="charts">
${latencyOverTime}
${rpsOverTime}
${distribution}
${status}
</div>
<h2>Summary</h2>
<pre>${esc(formatResult(r))}</pre>
<script type="application/json" id="hotpath-load-result">${data}</script>
</body>
</html>
`
}
