// `hotpath-load compare before.json after.json`: a before/after table with ratios (text or Markdown).
import { readFile } from 'node:fs/promises'
import { LoadInvalidResultError } from './errors.ts'
import { type LoadResult, READABLE_SCHEMA_VERSIONS, RESULT_SCHEMA_VERSION } from './result.ts'
import { formatBytes, formatCount, formatMs } from './units.ts'

export interface CompareRow {
  metric: string
  before: number
  after: number
  /** after / before (NaN when before is 0). */
  ratio: number
  /** 'lower' or 'higher' is better. */
  better: 'lower' | 'higher'
  unit: 'ms' | 'req/s' | 'B/s' | 'count' | '%'
}

export function compareResults(before: LoadResult, after: LoadResult): CompareRow[] {
  const rows: CompareRow[] = []
  const add = (
    metric: string,
    b: number,
    a: number,
    better: CompareRow['better'],
    unit: CompareRow['unit'],
  ) =>
    rows.push({
      metric,
      before: b,
      after: a,
      ratio: b === 0 ? (a === 0 ? 1 : Number.NaN) : a / b,
      better,
      unit,
    })
  add('rps', before.throughput.rps, after.throughput.rps, 'higher', 'req/s')
  for (const k of ['p50', 'p90', 'p99', 'p99_9', 'max', 'mean'] as const) {
    add(k === 'p99_9' ? 'p99.9' : k, before.latency[k], after.latency[k], 'lower', 'ms')
  }
  add('requests', before.requests.completed, after.requests.completed, 'higher', 'count')
  add('errors', before.requests.errors, after.requests.errors, 'lower', 'count')
  add('error rate', errorRate(before), errorRate(after), 'lower', '%')
  add('bytes/s', before.throughput.bytesPerSecond, after.throughput.bytesPerSecond, 'higher', 'B/s')
  add('late', before.requests.late, after.requests.late, 'lower', 'count')
  add('dropped', before.requests.dropped, after.requests.dropped, 'lower', 'count')
  // The generator's own event-loop delay: a "regression" here is the load machine, not the target.
  add(
    'generator p99',
    before.generator?.eventLoopDelayMs.p99 ?? 0,
    after.generator?.eventLoopDelayMs.p99 ?? 0,
    'lower',
    'ms',
  )
  // Per-name rows for the names both runs have.
  for (const [name, b] of Object.entries(before.names ?? {})) {
    const a = after.names?.[name]
    if (a === undefined) continue
    add(`rps{name:${name}}`, b.rps, a.rps, 'higher', 'req/s')
    add(`p50{name:${name}}`, b.latency.p50, a.latency.p50, 'lower', 'ms')
    add(`p99{name:${name}}`, b.latency.p99, a.latency.p99, 'lower', 'ms')
    add(`errors{name:${name}}`, b.requests.errors, a.requests.errors, 'lower', 'count')
  }
  return rows
}

/**
 * What the two runs were asked to do differently (target, model, rate, stages, connections, pipelining,
 * duration, amount, transport, protocol): their figures may then differ for that reason alone.
 */
export function compareMismatches(before: LoadResult, after: LoadResult): string[] {
  const fields: Array<[string, (r: LoadResult) => unknown]> = [
    ['target', (r) => `${r.target?.method} ${r.target?.url}`],
    ['scenario', (r) => r.target?.scenario],
    ['model', (r) => r.options?.model],
    ['rate', (r) => r.options?.rate],
    ['stages', (r) => JSON.stringify(r.options?.stages)],
    ['connections', (r) => r.options?.connections],
    ['pipelining', (r) => r.options?.pipelining],
    ['duration', (r) => r.options?.durationMs],
    ['amount', (r) => r.options?.amount],
    ['transport', (r) => r.options?.transport],
    ['protocol', (r) => r.protocol],
  ]
  const out: string[] = []
  for (const [field, get] of fields) {
    const b = get(before)
    const a = get(after)
    if (b !== a && b !== undefined && a !== undefined) out.push(`${field}: ${String(b)} -> ${String(a)}`)
  }
  return out
}

function errorRate(r: LoadResult): number {
  const base = r.requests.completed + r.requests.dropped
  return base === 0 ? 0 : (r.requests.errors / base) * 100
}

function fmt(v: number, unit: CompareRow['unit']): string {
  if (unit === 'ms') return formatMs(v)
  if (unit === 'B/s') return `${formatBytes(v)}/s`
  if (unit === '%') return `${v.toFixed(2)}%`
  return formatCount(v)
}

function verdict(row: CompareRow): string {
  if (!Number.isFinite(row.ratio)) return 'new'
  if (Math.abs(row.ratio - 1) < 0.02) return '='
  const improved = row.better === 'lower' ? row.ratio < 1 : row.ratio > 1
  return improved ? 'better' : 'worse'
}

export function formatComparison(
  rows: readonly CompareRow[],
  opts: { markdown?: boolean; labels?: [string, string] } = {},
): string {
  const [bl, al] = opts.labels ?? ['before', 'after']
  const table = rows.map((r) => [
    r.metric,
    fmt(r.before, r.unit),
    fmt(r.after, r.unit),
    Number.isFinite(r.ratio) ? `${r.ratio.toFixed(2)}x` : '-',
    verdict(r),
  ])
  const head = ['metric', bl, al, 'ratio', '']
  if (opts.markdown) {
    const esc = (s: string) => s.replaceAll('|', '\\|')
    return [
      `| ${head.map(esc).join(' | ')} |`,
      '| --- | ---: | ---: | ---: | --- |',
      ...table.map((r) => `| ${r.map(esc).join(' | ')} |`),
    ].join('\n')
  }
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)))
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === 0 || i === 4 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...table.map(line)].join('\n')
}

/** Reads and checks a JSON result file written by --json. */
export async function readResultFile(file: string): Promise<LoadResult> {
  let value: unknown
  try {
    value = JSON.parse(await readFile(file, 'utf8'))
  } catch (error) {
    throw new LoadInvalidResultError(file, (error as Error).message, error)
  }
  const r = value as Partial<LoadResult>
  if (r?.tool !== '@hotpath/load' || typeof r.schemaVersion !== 'number') {
    throw new LoadInvalidResultError(file, 'not a hotpath-load JSON result (missing tool/schemaVersion)')
  }
  if (!READABLE_SCHEMA_VERSIONS.includes(r.schemaVersion)) {
    throw new LoadInvalidResultError(
      file,
      `schemaVersion ${r.schemaVersion} is not supported (expected ${READABLE_SCHEMA_VERSIONS.join(' or ')})`,
    )
  }
  const version = r.schemaVersion as number
  if (version === 1) return migrateV1(r as unknown as V1Result)
  if (version === 2) return migrateV2(r as LoadResult)
  return r as LoadResult
}

/** Schema 2 -> 3: no per-name figures, HTTP/1.1 without TLS options, protocol unknown. */
function migrateV2(r: LoadResult): LoadResult {
  return {
    ...r,
    schemaVersion: RESULT_SCHEMA_VERSION,
    options: { ...r.options, http2: false, insecure: false, ca: false, segment: null, startAt: null },
    protocol: null,
    names: {},
    timeseries: (r.timeseries ?? []).map((p) => ({
      ...p,
      sent: p.sent ?? 0,
      late: p.late ?? 0,
      dropped: p.dropped ?? 0,
    })),
  }
}

type V1Result = Omit<LoadResult, 'schemaVersion'> & { schemaVersion: number }

/**
 * Schema 1 -> 3: the fields schema 2 added get what a schema 1 run measured (its one histogram stands for both,
 * no generator figures, no warnings; responses = completed minus transport errors is not recoverable, so the
 * completed count stands in).
 */
function migrateV1(r: V1Result): LoadResult {
  return migrateV2({
    ...r,
    schemaVersion: RESULT_SCHEMA_VERSION,
    options: { ...r.options, warmupMs: r.options.warmupMs ?? 0, catchUp: r.options.catchUp ?? 'burst-2x' },
    requests: { ...r.requests, responses: r.requests.responses ?? r.requests.completed },
    latencyUncorrected: r.latency,
    histogramUncorrected: r.histogram,
    generator: {
      eventLoopDelayMs: { p50: 0, p99: 0, max: 0 },
      lateShare: 0,
      generatorLateShare: 0,
      bottleneck: false,
      cause: null,
      busyShare: 0,
      cpuShare: 0,
      cpuPerRequestUs: 0,
    },
    warnings: [],
  } as unknown as LoadResult)
}
