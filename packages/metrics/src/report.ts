// The performance report: per route, upstream, cache, query, pool and process, with recommendations.
import { type FineSummary, mergeSparse, quantile } from './fine.ts'
import type { Attributes, HistogramSeriesSnapshot, HistogramSnapshot } from './instruments.ts'
import { NAMES } from './names.ts'
import type { QueryRecord, SlowQueryRecord } from './queries.ts'
import { recommend } from './recommendations.ts'
import type { FamilySnapshot } from './registry.ts'
import type {
  CacheReport,
  LatencyFigures,
  PerformanceReport,
  PoolReport,
  ReportSource,
  RouteReport,
  SlowQueryReport,
  QueryReport,
  UpstreamReport,
  WorkerRuntime,
} from './report-types.ts'
import type { RuntimeFigures } from './runtime.ts'
import type { ReportWindow } from './window.ts'
import type { Thresholds } from './thresholds.ts'

export type {
  CacheReport,
  LatencyFigures,
  PerformanceReport,
  PoolReport,
  QueryReport,
  ReportSource,
  ReportWindow,
  RouteReport,
  SlowQueryReport,
  UpstreamReport,
  WorkerRuntime,
} from './report-types.ts'

const r3 = (v: number): number => (Number.isFinite(v) ? Math.round(v * 1000) / 1000 : 0)

function histogram(families: FamilySnapshot[], name: string): HistogramSnapshot | undefined {
  const f = families.find((x) => x.name === name)
  return f?.type === 'histogram' ? f : undefined
}

function counterSeries(
  families: FamilySnapshot[],
  name: string,
): Array<{ attributes: Attributes; value: number }> {
  const f = families.find((x) => x.name === name)
  return f?.type === 'counter' ? f.series : []
}

interface Group {
  attributes: Attributes
  summary: FineSummary
  sum: number
  errors: number
  extra: Record<string, number>
}

function groupSeries(
  series: HistogramSeriesSnapshot[],
  keyOf: (a: Attributes) => string,
  isError: (a: Attributes) => boolean,
  extraOf?: (a: Attributes) => string | undefined,
): Group[] {
  const groups = new Map<string, Group>()
  for (const s of series) {
    if (s.attributes['otel.metric.overflow'] === true) continue
    const key = keyOf(s.attributes)
    let g = groups.get(key)
    if (g === undefined) {
      g = {
        attributes: s.attributes,
        summary: { count: 0, min: s.min, max: s.max, fine: [] },
        sum: 0,
        errors: 0,
        extra: {},
      }
      groups.set(key, g)
    }
    g.summary = {
      count: g.summary.count + s.count,
      min: Math.min(g.summary.min, s.min),
      max: Math.max(g.summary.max, s.max),
      fine: mergeSparse(g.summary.fine, s.fine),
    }
    g.sum += s.sum
    if (isError(s.attributes)) g.errors += s.count
    const extra = extraOf?.(s.attributes)
    if (extra !== undefined) g.extra[extra] = (g.extra[extra] ?? 0) + s.count
  }
  return [...groups.values()]
}

function latency(g: Group, uptimeSeconds: number): LatencyFigures {
  const { summary } = g
  const ms = (q: number) => r3(quantile(summary, q) * 1000)
  return {
    count: summary.count,
    throughputPerSecond: r3(summary.count / Math.max(uptimeSeconds, 0.001)),
    errors: g.errors,
    errorRate: summary.count > 0 ? r3(g.errors / summary.count) : 0,
    meanMs: summary.count > 0 ? r3((g.sum / summary.count) * 1000) : 0,
    p50Ms: ms(0.5),
    p95Ms: ms(0.95),
    p99Ms: ms(0.99),
    maxMs: r3(summary.max * 1000),
  }
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined
}

function findingFor(
  fingerprint: string,
  observed: Array<Record<string, unknown>>,
  findings: Map<string, unknown>,
): unknown {
  if (findings.has(fingerprint)) return findings.get(fingerprint)
  for (const s of observed) {
    if (s.kind !== 'database' || !Array.isArray(s.queries)) continue
    const q = (s.queries as Array<Record<string, unknown>>).find((x) => x.fingerprint === fingerprint)
    if (q !== undefined && (q.findings !== undefined || q.plan !== undefined)) return q.findings ?? q.plan
  }
  return undefined
}

export interface BuildReportInput {
  sources: ReportSource[]
  /** Findings by fingerprint, from `slowQueries()` of observed databases in this process. */
  findings: Map<string, unknown>
  families: FamilySnapshot[]
  queries: QueryRecord[]
  slow: SlowQueryRecord[]
  thresholds: Thresholds
  startedAt: number
  topQueries: number
  local: RuntimeFigures | undefined
  /** Wall-clock now (epoch ms). */
  epoch: number
  /** The figures of the recommendations' window (absent: the figures since start). */
  window?: {
    families: FamilySnapshot[]
    queries: QueryRecord[]
    seconds: number
    configuredSeconds: number
    /** Epoch ms the window starts at; absent when it starts at the process start. */
    sinceEpoch?: number | undefined
  }
}

type ReportView = Omit<PerformanceReport, 'recommendations' | 'window'>

export function buildReport(input: BuildReportInput): PerformanceReport {
  const uptimeSeconds = Math.max((input.epoch - input.startedAt) / 1000, 0.001)
  const report = buildView(input, input.families, input.queries, input.slow, uptimeSeconds)
  const w = input.window
  const window: ReportWindow = {
    seconds: r3(w?.seconds ?? uptimeSeconds),
    configuredSeconds: r3(w?.configuredSeconds ?? uptimeSeconds),
  }
  const judged =
    w === undefined
      ? report
      : buildView(
          input,
          w.families,
          w.queries,
          input.slow.filter((s) => w.sinceEpoch === undefined || s.lastAt >= w.sinceEpoch),
          Math.max(w.seconds, 0.001),
        )
  return {
    ...report,
    window,
    recommendations: recommend(judged, w?.queries ?? input.queries, input.thresholds, window),
  }
}

function buildView(
  input: BuildReportInput,
  families: FamilySnapshot[],
  queries: QueryRecord[],
  slowRecords: SlowQueryRecord[],
  uptimeSeconds: number,
): ReportView {
  const { thresholds } = input
  const observed = input.sources.flatMap((s) => s.observed)

  const server = histogram(families, NAMES.httpServerDuration)
  const routes: RouteReport[] = groupSeries(
    server?.series ?? [],
    (a) => `${a['http.request.method']} ${a['http.route'] ?? ''}`,
    (a) => a['error.type'] !== undefined,
  )
    .map((g) => ({
      method: String(g.attributes['http.request.method']),
      route: String(g.attributes['http.route'] ?? '(unmatched)'),
      ...latency(g, uptimeSeconds),
    }))
    .sort((a, b) => b.count - a.count)

  // requests that went out and those the response cache answered: one upstream row, counts by outcome
  const clientSeries = [
    ...(histogram(families, NAMES.httpClientDuration)?.series ?? []),
    ...(histogram(families, NAMES.httpClientCacheDuration)?.series ?? []),
  ]
  const upstreams: UpstreamReport[] = groupSeries(
    clientSeries,
    (a) => `${a['hotpath.http.client']}\u0001${a['server.address']}\u0001${a['server.port']}`,
    (a) => a['error.type'] !== undefined,
    (a) => String(a['hotpath.http.cache'] ?? 'bypass'),
  )
    .map((g) => {
      const port = g.attributes['server.port']
      return {
        client: String(g.attributes['hotpath.http.client']),
        server:
          port === undefined
            ? String(g.attributes['server.address'])
            : `${g.attributes['server.address']}:${port}`,
        ...latency(g, uptimeSeconds),
        cache: g.extra,
      }
    })
    .sort((a, b) => b.count - a.count)

  const caches = new Map<string, CacheReport>()
  const cacheOf = (name: string): CacheReport => {
    let c = caches.get(name)
    if (c === undefined) {
      c = {
        name,
        kind: 'cache',
        lookups: 0,
        hits: 0,
        l1Hits: 0,
        l2Hits: 0,
        misses: 0,
        stale: 0,
        hitRate: 0,
        staleRate: 0,
        evictions: 0,
        evictionsByReason: {},
        entries: undefined,
      }
      caches.set(name, c)
    }
    return c
  }
  for (const s of counterSeries(families, NAMES.cacheOperations)) {
    if (s.attributes['otel.metric.overflow'] === true) continue
    const c = cacheOf(String(s.attributes['hotpath.cache.name']))
    const result = s.attributes['hotpath.cache.result']
    c.lookups += s.value
    if (result === 'hit') {
      c.hits += s.value
      if (s.attributes['hotpath.cache.tier'] === 'l2') c.l2Hits += s.value
      else c.l1Hits += s.value
    } else if (result === 'stale') c.stale += s.value
    else c.misses += s.value
  }
  for (const s of counterSeries(families, NAMES.cacheEvictions)) {
    if (s.attributes['otel.metric.overflow'] === true) continue
    const c = cacheOf(String(s.attributes['hotpath.cache.name']))
    const reason = String(s.attributes['hotpath.cache.eviction.reason'] ?? 'evict')
    c.evictions += s.value
    c.evictionsByReason[reason] = (c.evictionsByReason[reason] ?? 0) + s.value
  }
  // The HTTP client caches, from the outcome of each cacheable request (fast-path hits publish nothing on
  // hotpath:cache:get): `revalidated` (a 304 reused the stored body) counts as a hit, `stale` as stale.
  for (const s of counterSeries(families, NAMES.httpClientCacheOperations)) {
    if (s.attributes['otel.metric.overflow'] === true) continue
    const c = cacheOf(`http:${String(s.attributes['hotpath.http.client'])}`)
    c.kind = 'http'
    const result = s.attributes['hotpath.http.cache']
    c.lookups += s.value
    if (result === 'hit' || result === 'revalidated') {
      c.hits += s.value
      c.l1Hits += s.value
    } else if (result === 'stale') c.stale += s.value
    else c.misses += s.value
  }
  for (const s of observed) {
    if (s.kind !== 'cache') continue
    const entries = num(s.entries)
    if (entries === undefined) continue
    const c = cacheOf(String(s.name ?? 'unknown'))
    c.entries = (c.entries ?? 0) + entries
  }
  for (const c of caches.values()) {
    c.hitRate = c.lookups > 0 ? r3(c.hits / c.lookups) : 0
    c.staleRate = c.lookups > 0 ? r3(c.stale / c.lookups) : 0
  }

  const top: QueryReport[] = queries
    .map((q) => {
      const summary: FineSummary = { count: q.count, min: q.minSeconds, max: q.maxSeconds, fine: q.fine }
      return {
        fingerprint: q.fingerprint,
        summary: q.summary,
        system: q.system,
        database: q.database,
        count: q.count,
        errors: q.errors,
        rows: q.rows,
        totalMs: r3(q.totalMs),
        meanMs: q.count > 0 ? r3(q.totalMs / q.count) : 0,
        p95Ms: r3(quantile(summary, 0.95) * 1000),
        maxMs: r3(q.maxMs),
      }
    })
    .sort((a, b) => b.totalMs - a.totalMs)
    .slice(0, input.topQueries)
  const slow: SlowQueryReport[] = slowRecords
    .map((s) => ({
      fingerprint: s.fingerprint,
      summary: s.summary,
      system: s.system,
      database: s.database,
      count: s.count,
      maxMs: r3(s.maxMs),
      lastMs: r3(s.lastMs),
      lastAt: new Date(s.lastAt).toISOString(),
      error: s.error,
      finding: findingFor(s.fingerprint, observed, input.findings),
    }))
    .sort((a, b) => b.maxMs - a.maxMs)

  const pools = new Map<string, PoolReport>()
  const poolOf = (name: string): PoolReport => {
    let p = pools.get(name)
    if (p === undefined) {
      p = {
        name,
        acquisitions: 0,
        waitP95Ms: 0,
        waitMaxMs: 0,
        useP95Ms: 0,
        timeouts: 0,
        pending: 0,
        size: undefined,
        max: undefined,
      }
      pools.set(name, p)
    }
    return p
  }
  const poolKey = (a: Attributes) => String(a['db.client.connection.pool.name'])
  for (const g of groupSeries(histogram(families, NAMES.dbWaitTime)?.series ?? [], poolKey, () => false)) {
    const p = poolOf(poolKey(g.attributes))
    p.acquisitions = g.summary.count
    p.waitP95Ms = r3(quantile(g.summary, 0.95) * 1000)
    p.waitMaxMs = r3(g.summary.max * 1000)
  }
  for (const g of groupSeries(histogram(families, NAMES.dbUseTime)?.series ?? [], poolKey, () => false)) {
    poolOf(poolKey(g.attributes)).useP95Ms = r3(quantile(g.summary, 0.95) * 1000)
  }
  for (const s of counterSeries(families, NAMES.dbTimeouts)) {
    if (s.attributes['otel.metric.overflow'] !== true) poolOf(poolKey(s.attributes)).timeouts += s.value
  }
  for (const source of input.sources) {
    for (const [name, pending] of Object.entries(source.poolPending)) {
      if (pools.has(name)) poolOf(name).pending += pending
    }
  }
  const seenPools = new Set<string>()
  for (const s of observed) {
    const stats = (s.kind === 'pool' ? s : s.kind === 'database' ? s.pool : undefined) as
      | Record<string, unknown>
      | undefined
    if (stats === undefined || stats === null) continue
    const name = String(stats.name ?? 'unknown')
    const p = poolOf(name)
    if (!seenPools.has(name)) {
      seenPools.add(name)
      p.pending = 0
    }
    p.pending += num(stats.pending) ?? 0
    p.size = (p.size ?? 0) + (num(stats.size) ?? 0)
    p.max = (p.max ?? 0) + (num(stats.max) ?? 0)
    const timeouts = num(stats.timeouts)
    if (timeouts !== undefined && timeouts > p.timeouts) p.timeouts = timeouts
  }

  const workers: WorkerRuntime[] = input.sources.map((s) => ({
    worker: s.worker,
    pid: s.pid,
    runtime: s.runtime,
  }))
  return {
    generatedAt: new Date(input.epoch).toISOString(),
    uptimeSeconds: r3(uptimeSeconds),
    processes: input.sources.length,
    routes,
    upstreams,
    caches: [...caches.values()],
    queries: { top, slow },
    pools: [...pools.values()],
    runtime: input.local,
    workers,
    thresholds,
  }
}
