// `hotpath-load merge a.json b.json ...`: the results of several generators (segments of one test, run on several
// machines) as one result: counts add up, the HDR histograms (whole run, uncorrected, per name) merge exactly.
import { LoadMergeError } from './errors.ts'
import { addHistogram, createHistogram, decodeHistogram, encodeHistogram, summarize } from './histogram.ts'
import { NameTotals } from './name-stats.ts'
import { nameResults } from './result-names.ts'
import { type LoadResult, RESULT_SCHEMA_VERSION, type TimeseriesPoint } from './result.ts'

/** Fields every part of one test shares (what the run was asked to do, not what it measured). */
const SHARED = [
  ['target.url', (r: LoadResult) => r.target.url],
  ['target.method', (r: LoadResult) => r.target.method],
  ['target.scenario', (r: LoadResult) => r.target.scenario],
  ['options.model', (r: LoadResult) => r.options.model],
  ['options.rate', (r: LoadResult) => r.options.rate],
  ['options.stages', (r: LoadResult) => JSON.stringify(r.options.stages)],
  ['options.connections', (r: LoadResult) => r.options.connections],
  ['options.pipelining', (r: LoadResult) => r.options.pipelining],
  ['options.durationMs', (r: LoadResult) => r.options.durationMs],
  ['options.amount', (r: LoadResult) => r.options.amount],
] as const

const sum = (rs: readonly LoadResult[], f: (r: LoadResult) => number) => rs.reduce((n, r) => n + f(r), 0)
const round = (v: number) => Math.round(v * 100) / 100

/**
 * Merges results of one test. Throws LoadMergeError (HOTPATH_LOAD_MERGE_MISMATCH) when they differ in what they were asked to do, or when two
 * are the same segment. Missing segments (`2/3` without `3/3`) give a warning in the merged result.
 */
export function mergeResults(results: readonly LoadResult[]): LoadResult {
  if (results.length === 0) throw new LoadMergeError('results', 'nothing to merge')
  const first = results[0]!
  for (const [field, get] of SHARED) {
    for (const r of results) {
      if (get(r) !== get(first)) {
        throw new LoadMergeError(
          field,
          `the results are not parts of one test: ${field} is ${JSON.stringify(get(first))} in one and ${JSON.stringify(get(r))} in another`,
        )
      }
    }
  }
  const warnings: string[] = []
  const segments = results.map((r) => r.options.segment)
  const counts = new Set(segments.map((s) => (s === null ? 1 : Number(s.split('/')[1]))))
  if (counts.size > 1)
    throw new LoadMergeError('options.segment', `mixed segment counts: ${segments.join(', ')}`)
  const seen = new Set<string>()
  for (const s of segments) {
    if (s === null) continue
    if (seen.has(s)) throw new LoadMergeError('options.segment', `segment ${s} appears twice`)
    seen.add(s)
  }
  const n = [...counts][0]!
  if (n > 1 && seen.size < n) {
    const missing = Array.from({ length: n }, (_, i) => `${i + 1}/${n}`).filter((s) => !seen.has(s))
    warnings.push(
      `segments missing from the merge: ${missing.join(', ')} (the figures cover part of the test)`,
    )
  }
  for (const [i, r] of results.entries()) {
    for (const w of r.warnings) warnings.push(`${r.options.segment ?? `result ${i + 1}`}: ${w}`)
  }

  const total = createHistogram()
  const totalSent = createHistogram()
  const names = new NameTotals()
  const statusCodes: Record<string, number> = {}
  const errors: Record<string, number> = {}
  for (const r of results) {
    addHistogram(total, decodeHistogram(r.histogram))
    addHistogram(totalSent, decodeHistogram(r.histogramUncorrected))
    names.add(
      Object.fromEntries(
        Object.entries(r.names).map(([name, x]) => [
          name,
          { ...x.requests, errors: x.errors, statusCodes: x.statusCodes, histogram: x.histogram },
        ]),
      ),
    )
    for (const [k, v] of Object.entries(r.statusCodes)) statusCodes[k] = (statusCodes[k] ?? 0) + v
    for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v
  }
  const durationMs = Math.max(...results.map((r) => r.durationMs))
  const sent = sum(results, (r) => r.requests.sent)
  const responses = sum(results, (r) => r.requests.responses)
  const bytes = sum(results, (r) => r.throughput.bytes)
  const share = (v: number) => (sent === 0 ? 0 : Math.round((v / sent) * 10_000) / 10_000)
  const loop = {
    p50: Math.max(...results.map((r) => r.generator.eventLoopDelayMs.p50)),
    p99: Math.max(...results.map((r) => r.generator.eventLoopDelayMs.p99)),
    max: Math.max(...results.map((r) => r.generator.eventLoopDelayMs.max)),
  }
  const protocols = new Set(results.flatMap((r) => (r.protocol === null ? [] : r.protocol.split(','))))
  const startedAt = results.map((r) => r.startedAt).sort()[0]!
  const finishedAt = results
    .map((r) => r.finishedAt)
    .sort()
    .at(-1)!
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    tool: '@hotpath/load',
    startedAt,
    finishedAt,
    aborted: results.some((r) => r.aborted),
    target: first.target,
    options: {
      ...first.options,
      transport: first.options.transport,
      workers: sum(results, (r) => r.options.workers),
      segment: null,
    },
    protocol: [...protocols].sort().join(',') || null,
    durationMs,
    requests: {
      sent,
      completed: sum(results, (r) => r.requests.completed),
      responses,
      ok: sum(results, (r) => r.requests.ok),
      errors: sum(results, (r) => r.requests.errors),
      late: sum(results, (r) => r.requests.late),
      dropped: sum(results, (r) => r.requests.dropped),
      cancelled: sum(results, (r) => r.requests.cancelled),
    },
    latency: summarize(total),
    latencyUncorrected: summarize(totalSent),
    generator: {
      eventLoopDelayMs: loop,
      lateShare: share(sum(results, (r) => r.requests.late)),
      generatorLateShare: share(sum(results, (r) => r.generator.generatorLateShare * r.requests.sent)),
      bottleneck: results.some((r) => r.generator.bottleneck),
      // The worst part's figures (a result of schema 3 before these fields: 0, null).
      cause:
        results.find((r) => r.generator.cause === 'saturated')?.generator.cause ??
        results.find((r) => r.generator.cause)?.generator.cause ??
        null,
      busyShare: Math.max(...results.map((r) => r.generator.busyShare ?? 0)),
      cpuShare: Math.max(...results.map((r) => r.generator.cpuShare ?? 0)),
      cpuPerRequestUs: Math.round(
        sum(results, (r) => (r.generator.cpuPerRequestUs ?? 0) * r.requests.completed) /
          Math.max(
            1,
            sum(results, (r) => r.requests.completed),
          ),
      ),
    },
    warnings,
    throughput: {
      rps: round((responses / Math.max(1, durationMs)) * 1000),
      // Each part's send rate is over its own (aligned) window: they add up.
      sendRate: round(sum(results, (r) => r.throughput.sendRate)),
      bytesPerSecond: round((bytes / Math.max(1, durationMs)) * 1000),
      bytes,
    },
    statusCodes,
    errors,
    timeseries: mergeTimeseries(results.map((r) => r.timeseries)),
    histogram: encodeHistogram(total),
    histogramUncorrected: encodeHistogram(totalSent),
    names: nameResults(names, Object.keys(first.names), durationMs),
    thresholds: [],
  }
}

/**
 * Seconds add up by index (the parts' schedules are aligned by --start-at); a second's percentiles are the
 * worst part's (an upper bound: the per-second histograms are not in the result), counts are exact.
 */
function mergeTimeseries(parts: ReadonlyArray<readonly TimeseriesPoint[]>): TimeseriesPoint[] {
  const bySecond = new Map<number, TimeseriesPoint>()
  for (const series of parts) {
    for (const p of series) {
      const m = bySecond.get(p.second)
      if (m === undefined) bySecond.set(p.second, { ...p })
      else {
        m.durationMs = Math.max(m.durationMs, p.durationMs)
        m.requests += p.requests
        m.sent += p.sent
        m.late += p.late
        m.dropped += p.dropped
        m.errors += p.errors
        m.bytes += p.bytes
        m.p50 = Math.max(m.p50, p.p50)
        m.p90 = Math.max(m.p90, p.p90)
        m.p99 = Math.max(m.p99, p.p99)
        m.max = Math.max(m.max, p.max)
      }
    }
  }
  return [...bySecond.values()].sort((a, b) => a.second - b.second)
}
