// Shapes of the performance report (plain JSON).
import type { QueryRecord, SlowQueryRecord } from './queries.ts'
import type { Recommendation } from './rules/types.ts'
import type { FamilySnapshot } from './registry.ts'
import type { RuntimeFigures } from './runtime.ts'
import type { Thresholds } from './thresholds.ts'
import type { ReportWindow, WindowBaseline } from './window.ts'

export type { ReportWindow } from './window.ts'

/** What one process contributes to a report (also the IPC payload of a worker). */
export interface ReportSource {
  worker: string
  pid: number
  startedAt: number
  families: FamilySnapshot[]
  queries: QueryRecord[]
  slow: SlowQueryRecord[]
  runtime: RuntimeFigures | undefined
  observed: Array<Record<string, unknown>>
  poolPending: Record<string, number>
  /** This process's figures at the start of the recommendations' window (absent from older workers). */
  baseline?: WindowBaseline
}

export interface LatencyFigures {
  count: number
  /** Requests per second since the metrics instance started. */
  throughputPerSecond: number
  errors: number
  errorRate: number
  meanMs: number
  p50Ms: number
  p95Ms: number
  p99Ms: number
  maxMs: number
}

export interface RouteReport extends LatencyFigures {
  method: string
  route: string
}

export interface UpstreamReport extends LatencyFigures {
  client: string
  server: string
  cache: Record<string, number>
}

export interface CacheReport {
  /** The cache's name; `http:<client>` for an HTTP client's response cache. */
  name: string
  /** `cache`: a hotpath cache (from hotpath:cache:get); `http`: an HTTP client response cache (from hotpath:http:request outcomes). */
  kind: 'cache' | 'http'
  lookups: number
  hits: number
  l1Hits: number
  l2Hits: number
  misses: number
  stale: number
  hitRate: number
  staleRate: number
  evictions: number
  /** Evictions by reason: `evict` (capacity), `expire` (TTL or invalidation), `set`, `delete`. */
  evictionsByReason: Record<string, number>
  entries: number | undefined
}

export interface QueryReport {
  fingerprint: string
  summary: string
  system: string
  database: string
  count: number
  errors: number
  rows: number
  totalMs: number
  meanMs: number
  p95Ms: number
  maxMs: number
}

export interface SlowQueryReport {
  fingerprint: string
  summary: string
  system: string
  database: string
  count: number
  maxMs: number
  lastMs: number
  lastAt: string
  error: string | undefined
  /** What the database's own analysis says about it (`slowQueries()` of an observed database), if anything. */
  finding: unknown
}

export interface PoolReport {
  name: string
  acquisitions: number
  waitP95Ms: number
  waitMaxMs: number
  useP95Ms: number
  timeouts: number
  pending: number
  size: number | undefined
  max: number | undefined
}

export interface WorkerRuntime {
  worker: string
  pid: number
  runtime: RuntimeFigures | undefined
}

export interface PerformanceReport {
  generatedAt: string
  uptimeSeconds: number
  /** Processes merged into this report (1 without cluster mode). */
  processes: number
  routes: RouteReport[]
  upstreams: UpstreamReport[]
  caches: CacheReport[]
  queries: { top: QueryReport[]; slow: SlowQueryReport[] }
  pools: PoolReport[]
  /** Figures of the process that built the report. */
  runtime: RuntimeFigures | undefined
  /** Figures of every process (cluster mode: the primary and each worker). */
  workers: WorkerRuntime[]
  thresholds: Thresholds
  /** The window the recommendations judged (the figures above are since start). */
  window: ReportWindow
  recommendations: Recommendation[]
}
