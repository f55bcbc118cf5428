// Threshold expressions for CI: "p99<50ms", "errors<1%", "rps>1000". Parsed before the run; a mistake is pointed at.
import { LoadInvalidThresholdError } from './errors.ts'
import type { LoadResult, NameResult, ThresholdResult } from './result.ts'

type Operator = '<' | '<=' | '>' | '>='
type Kind = 'latency' | 'rate' | 'ratio' | 'count'

export interface Threshold {
  expression: string
  metric: string
  /** `p99{name:login}<50ms`: the threshold applies to the requests of this name only (else null: the run). */
  name: string | null
  operator: Operator
  /** Latency: ms; ratio metrics with %: percent; otherwise the raw number. */
  limit: number
  unit: string
}

const latencyMetrics = ['p50', 'p75', 'p90', 'p95', 'p99', 'p99.9', 'max', 'min', 'mean', 'stdev'] as const
const metricKinds: Record<string, Kind> = {
  ...Object.fromEntries(latencyMetrics.map((m) => [m, 'latency' as Kind])),
  rps: 'rate',
  sendRate: 'rate',
  bytesPerSecond: 'rate',
  errors: 'ratio',
  late: 'ratio',
  dropped: 'ratio',
  requests: 'count',
}
export const thresholdMetrics: readonly string[] = Object.keys(metricKinds)
/** Metrics a `{name:...}` threshold can use (the per-name figures of the result). */
const perNameMetrics: ReadonlySet<string> = new Set([...latencyMetrics, 'errors', 'requests', 'rps'])
const latencyUnits: Record<string, number> = { us: 0.001, µs: 0.001, ms: 1, s: 1000 }

export function parseThreshold(expression: string): Threshold {
  const text = String(expression)
  const m =
    /^(\s*)([A-Za-z][A-Za-z0-9._]*)?(\{[^}]*\}?)?(\s*)(<=|>=|<|>|==|=|!=)?(\s*)(-?[0-9]*\.?[0-9]*)?(\s*)(.*?)\s*$/.exec(
      text,
    )!
  const [, lead = '', metric = '', tag = '', sp1a = '', op = '', sp2 = '', num = '', sp3 = '', unit = ''] = m
  const sp1 = tag + sp1a
  const at = (...parts: string[]) => parts.reduce((n, p) => n + p.length, 0)
  if (!metric)
    throw new LoadInvalidThresholdError(
      text,
      lead.length,
      `expected a metric name (${thresholdMetrics.join(', ')})`,
    )
  const kind = metricKinds[metric]
  if (!kind) {
    const guess = closest(metric)
    throw new LoadInvalidThresholdError(
      text,
      lead.length,
      `unknown metric "${metric}"${guess ? `; did you mean "${guess}"?` : ''} (allowed: ${thresholdMetrics.join(', ')})`,
    )
  }
  let name: string | null = null
  if (tag !== '') {
    const tagAt = at(lead, metric)
    const t = /^\{\s*name\s*:\s*(.*?)\s*\}$/.exec(tag)
    if (t === null || t[1] === '') {
      throw new LoadInvalidThresholdError(
        text,
        tagAt,
        'expected {name:<request name>}, e.g. p99{name:login}<50ms',
      )
    }
    if (!perNameMetrics.has(metric)) {
      throw new LoadInvalidThresholdError(
        text,
        lead.length,
        `${metric} has no per-name figure (per name: ${[...perNameMetrics].join(', ')})`,
      )
    }
    name = t[1]!
  }
  const opAt = at(lead, metric, sp1)
  if (!op) throw new LoadInvalidThresholdError(text, opAt, 'expected an operator: <, <=, > or >=')
  if (op === '=' || op === '==' || op === '!=') {
    throw new LoadInvalidThresholdError(text, opAt, `operator "${op}" is not supported; use <, <=, > or >=`)
  }
  const numAt = at(lead, metric, sp1, op, sp2)
  if (!num || !Number.isFinite(Number(num)) || num === '.' || num === '-') {
    throw new LoadInvalidThresholdError(text, numAt, 'expected a number')
  }
  const value = Number(num)
  if (value < 0) throw new LoadInvalidThresholdError(text, numAt, 'expected a number >= 0')
  const unitAt = at(lead, metric, sp1, op, sp2, num, sp3)
  let limit = value
  let outUnit = ''
  if (kind === 'latency') {
    const factor = latencyUnits[unit || 'ms']
    if (factor === undefined) {
      throw new LoadInvalidThresholdError(
        text,
        unitAt,
        `unknown unit "${unit}" for ${metric} (allowed: us, ms, s; default ms)`,
      )
    }
    limit = value * factor
    outUnit = 'ms'
  } else if (kind === 'ratio') {
    if (unit !== '' && unit !== '%') {
      throw new LoadInvalidThresholdError(
        text,
        unitAt,
        `unknown unit "${unit}" for ${metric} (allowed: % or none for a count)`,
      )
    }
    outUnit = unit === '%' ? '%' : 'count'
  } else if (unit !== '') {
    const allowed = kind === 'rate' ? 'a plain number per second' : 'a plain number'
    throw new LoadInvalidThresholdError(text, unitAt, `unexpected unit "${unit}" for ${metric} (${allowed})`)
  } else outUnit = kind === 'rate' ? '/s' : 'count'
  return { expression: text.trim(), metric, name, operator: op as Operator, limit, unit: outUnit }
}

export function actualValue(t: Threshold, r: LoadResult): number {
  switch (t.metric) {
    case 'rps':
      return r.throughput.rps
    case 'sendRate':
      return r.throughput.sendRate
    case 'bytesPerSecond':
      return r.throughput.bytesPerSecond
    case 'requests':
      return r.requests.completed
    case 'errors':
    case 'late':
    case 'dropped': {
      const n = r.requests[t.metric]
      if (t.unit !== '%') return n
      const base =
        t.metric === 'errors'
          ? r.requests.completed + r.requests.dropped
          : r.requests.sent + r.requests.dropped
      return base === 0 ? 0 : (n / base) * 100
    }
    case 'p99.9':
      return r.latency.p99_9
    default:
      return r.latency[t.metric as Exclude<keyof LoadResult['latency'], 'p99_9'>]
  }
}

/** A per-name threshold's value from `r.names[t.name]`. */
function nameValue(t: Threshold, n: NameResult): number {
  switch (t.metric) {
    case 'rps':
      return n.rps
    case 'requests':
      return n.requests.completed
    case 'errors':
      if (t.unit !== '%') return n.requests.errors
      return n.requests.completed === 0 ? 0 : (n.requests.errors / n.requests.completed) * 100
    case 'p99.9':
      return n.latency.p99_9
    default:
      return n.latency[t.metric as Exclude<keyof NameResult['latency'], 'p99_9'>]
  }
}

/**
 * Thresholds naming a request the scenario does not have are a usage error before the run (a misspelt name must
 * not pass as "no data"); `names` null (names known only at run time) checks nothing here.
 */
export function checkThresholdNames(thresholds: readonly Threshold[], names: readonly string[] | null): void {
  for (const t of thresholds) {
    if (t.name === null) continue
    if (names === null) continue
    if (!names.includes(t.name)) {
      const at = t.expression.indexOf('{')
      throw new LoadInvalidThresholdError(
        t.expression,
        at,
        names.length === 0
          ? 'a {name:...} threshold needs a scenario (this run has a single unnamed request)'
          : `no request named "${t.name}" (names: ${names.join(', ')})`,
      )
    }
  }
}

export function evaluateThresholds(thresholds: readonly Threshold[], r: LoadResult): ThresholdResult[] {
  return thresholds.map((t) => {
    const base = {
      expression: t.expression,
      metric: t.metric,
      ...(t.name !== null ? { name: t.name } : {}),
      operator: t.operator,
      limit: t.limit,
      unit: t.unit,
    }
    if (t.name !== null) {
      const n = r.names[t.name]
      if (n === undefined) return { ...base, actual: null, pass: false, reason: 'no data' }
      if (metricKinds[t.metric] === 'latency' && n.requests.responses === 0) {
        return { ...base, actual: null, pass: false, reason: 'no data' }
      }
      const actual = nameValue(t, n)
      if (n.requests.ok === 0) return { ...base, actual, pass: false, reason: 'no successful request' }
      return { ...base, actual, pass: compare(t, actual) }
    }
    // A gate that cannot be measured fails: a latency threshold without a single sample, and any threshold of a
    // run in which no request succeeded (a dead target must never pass CI).
    if (metricKinds[t.metric] === 'latency' && r.requests.responses === 0) {
      return { ...base, actual: null, pass: false, reason: 'no data' }
    }
    const actual = actualValue(t, r)
    if (r.requests.ok === 0) return { ...base, actual, pass: false, reason: 'no successful request' }
    return { ...base, actual, pass: compare(t, actual) }
  })
}

function compare(t: Threshold, actual: number): boolean {
  return t.operator === '<'
    ? actual < t.limit
    : t.operator === '<='
      ? actual <= t.limit
      : t.operator === '>'
        ? actual > t.limit
        : actual >= t.limit
}

function closest(name: string): string | undefined {
  let best: string | undefined
  let bestD = 3
  for (const m of thresholdMetrics) {
    const d = distance(name.toLowerCase(), m.toLowerCase())
    if (d < bestD) {
      bestD = d
      best = m
    }
  }
  return best
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = tmp
    }
  }
  return row[b.length]!
}
