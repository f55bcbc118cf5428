// `pnpm demo`: the same service twice — baseline, then with hotpath — under the same load, and a
// before/after table measured on this machine. Embedded defaults: memory cache + SQLite, no servers.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { type LoadResult, runLoad } from '@hotpath/load'
import { buildApp } from './app.ts'
import { seed } from './seed.ts'
import { createServices, type Mode } from './services.ts'
import { startUpstream } from './upstream.ts'

export interface DemoOptions {
  durationMs?: number
  connections?: number
  /** Orders requested (ids 1..hotSet), like a popular subset of a catalogue. */
  hotSet?: number
  log?: (line: string) => void
}

export interface ModeRun {
  mode: Mode
  result: LoadResult
  upstreamRequests: number
  cacheHitRate: number | undefined
  recommendations: Array<{ rule: string; subject: string; severity: string; advice: string }>
}

export interface DemoResult {
  runs: ModeRun[]
  table: string
}

function fmt(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a'
}

export function beforeAfterTable(before: ModeRun, after: ModeRun): string {
  const rows: Array<[string, number, number, 'higher' | 'lower']> = [
    ['throughput (req/s)', before.result.throughput.rps, after.result.throughput.rps, 'higher'],
    ['latency p50 (ms)', before.result.latency.p50, after.result.latency.p50, 'lower'],
    ['latency p99 (ms)', before.result.latency.p99, after.result.latency.p99, 'lower'],
    ['errors', before.result.requests.errors, after.result.requests.errors, 'lower'],
    ['upstream calls', before.upstreamRequests, after.upstreamRequests, 'lower'],
  ]
  const lines = ['| metric | before (baseline) | after (hotpath) | change |', '| --- | ---: | ---: | ---: |']
  for (const [name, b, a, better] of rows) {
    const ratio = better === 'higher' ? a / b : b / a
    const change =
      b === 0 && a === 0
        ? '='
        : Number.isFinite(ratio)
          ? `${fmt(ratio, 2)}x ${better === 'higher' ? 'more' : 'less'}`
          : 'n/a'
    lines.push(`| ${name} | ${fmt(b)} | ${fmt(a)} | ${change} |`)
  }
  return lines.join('\n')
}

async function runMode(mode: Mode, sqliteFile: string, options: Required<DemoOptions>): Promise<ModeRun> {
  const upstream = await startUpstream()
  const services = createServices({ mode, sqliteFile, upstreamOrigin: upstream.origin })
  const app = buildApp(services)
  try {
    await app.listen({ port: 0, host: '127.0.0.1' })
    const address = app.server.address()
    const port = typeof address === 'object' && address ? address.port : 0
    options.log(
      `  ${mode}: ${options.connections} connections for ${options.durationMs / 1000}s against /orders/{{int 1 ${options.hotSet}}}`,
    )
    const result = await runLoad({
      url: `http://127.0.0.1:${port}/`,
      scenario: { requests: [{ path: `/orders/{{int 1 ${options.hotSet}}}`, expect: { status: 200 } }] },
      model: 'closed',
      connections: options.connections,
      duration: options.durationMs,
    })
    const report = await services.metrics.report()
    const cacheRow = report.caches[0]
    return {
      mode,
      result,
      upstreamRequests: upstream.requests,
      cacheHitRate: cacheRow?.hitRate,
      recommendations: report.recommendations.map((r) => ({
        rule: r.rule,
        subject: r.subject,
        severity: r.severity,
        advice: r.advice,
      })),
    }
  } finally {
    await app.close()
    await services.close()
    await upstream.close()
  }
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const opts: Required<DemoOptions> = {
    durationMs: options.durationMs ?? 5000,
    connections: options.connections ?? 32,
    hotSet: options.hotSet ?? 500,
    log: options.log ?? ((line) => console.log(line)),
  }
  const dir = await mkdtemp(join(tmpdir(), 'hotpath-demo-'))
  try {
    const sqliteFile = join(dir, 'orders.db')
    const seeding = createServices({ mode: 'baseline', sqliteFile, upstreamOrigin: 'http://127.0.0.1:9' })
    opts.log('seeding SQLite with 1,000 customers and 10,000 orders ...')
    await seed(seeding.db)
    await seeding.close()
    const before = await runMode('baseline', sqliteFile, opts)
    const after = await runMode('optimized', sqliteFile, opts)
    return { runs: [before, after], table: beforeAfterTable(before, after) }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { duration: { type: 'string', default: '5' }, connections: { type: 'string', default: '32' } },
  })
  console.log('hotpath demo: orders-api before and after (SQLite + in-memory cache, all on 127.0.0.1)\n')
  const demo = await runDemo({
    durationMs: Number(values.duration) * 1000,
    connections: Number(values.connections),
  })
  console.log(`\n${demo.table}\n`)
  const after = demo.runs[1]
  if (after?.cacheHitRate !== undefined)
    console.log(`cache hit rate (after): ${(after.cacheHitRate * 100).toFixed(1)}%`)
  const recs = after?.recommendations ?? []
  console.log(recs.length ? 'recommendations (after):' : 'recommendations (after): none')
  for (const r of recs.slice(0, 5)) console.log(`  [${r.severity}] ${r.rule} (${r.subject}): ${r.advice}`)
  console.log(
    '\nRun the service yourself: pnpm --filter @hotpath/orders-api start  (then GET /orders/1, /metrics, /debug/performance)',
  )
}
