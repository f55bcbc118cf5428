// Public types of the database API.
import type { Clock } from '@hotpath/core'
import type { Analysis } from './analyze.ts'
import type { DbSystem, Driver, Params, PipelineStats, Plan, PoolSettings, Row } from './drivers/types.ts'
import type { CheckpointStats } from './drivers/sqlite-checkpointer.ts'
import type { NPlusOne, QueryStats, SlowQuery } from './insight.ts'
import type { PoolStats } from './pool-types.ts'
import type { QueryCacheSetting } from './query-cache.ts'

export interface DatabaseOptions {
  /** Name in stats and diagnostics. Default 'db'. */
  name?: string
  /** sqlite({ filename }) (the default, in memory), postgres({ connectionString }), 'sqlite' or 'postgres'. */
  driver?: Driver | 'sqlite' | 'postgres' | 'postgresql'
  /** Pool options for the driver's connections (min, max, acquireTimeout, ...). */
  pool?: PoolSettings
  /** A @hotpath/cache Cache, options for one created on first use, or false. */
  queryCache?: QueryCacheSetting
  /** Statements at least this slow (ms) are logged with their plan. Default 50. */
  slowQueryThreshold?: number
  /** Capture EXPLAIN plans of slow statements. Default true. */
  explainSlowQueries?: boolean
  /**
   * Time source of query durations, slow-query stamps, the driver's pools (idle, lifetime, leaks,
   * deadlines) and the query cache the database creates. Default systemClock.
   */
  clock?: Clock
}

export interface QueryOptions {
  /** Cache the rows of this SELECT: true (default TTL) or a TTL in ms. */
  cache?: boolean | number
  /** Extra tags for the cached rows (invalidate with db.invalidateTags(tags)). */
  tags?: string[]
  /**
   * Aborting rejects with HOTPATH_DB_ABORTED: a caller still waiting for a connection leaves the queue; on
   * PostgreSQL a running statement is cancelled on the server (pg_cancel_backend). Not for cached reads.
   */
  signal?: AbortSignal
}

export interface ReadyOptions {
  /** Deadline of the start-up check in ms. Default: the pool's acquireTimeout. */
  timeout?: number
}

export interface ExecuteResult {
  rowCount: number
  lastInsertId?: number | bigint
  rows: Row[]
}

export type BatchStatement = string | readonly [string, Params?] | { sql: string; params?: Params }

export interface Transaction {
  query<T = Row>(sql: string, params?: Params): Promise<T[]>
  execute(sql: string, params?: Params): Promise<ExecuteResult>
}

export interface DatabaseStats {
  kind: 'database'
  name: string
  system: DbSystem
  pool: PoolStats
  pools: Record<string, PoolStats>
  queries: QueryStats[]
  queryCache: { hits: number; misses: number }
  /** PostgreSQL auto-pipelining counters (absent on SQLite). */
  pipeline?: PipelineStats
  /** SQLite: the background WAL checkpoints (absent in memory, with checkpoint: 'inline', or without WAL). */
  checkpoints?: CheckpointStats
}

export interface Database {
  readonly name: string
  readonly system: DbSystem
  query<T = Row>(sql: string, params?: Params, options?: QueryOptions): Promise<T[]>
  execute(sql: string, params?: Params): Promise<ExecuteResult>
  transaction<R>(fn: (tx: Transaction) => Promise<R>): Promise<R>
  batch(statements: readonly BatchStatement[]): Promise<ExecuteResult[]>
  /** Static findings plus full scans from EXPLAIN, with suggested CREATE INDEX statements. */
  analyze(sql: string, params?: Params): Promise<Analysis>
  explain(sql: string, params?: Params): Promise<Plan>
  /** Statements at or over slowQueryThreshold, slowest first, with their plans. */
  slowQueries(): Promise<SlowQuery[]>
  /**
   * N+1 suspects: fingerprints executed >= 20 times within 1 s (database clock) with >= 10 distinct
   * parameter lists. `analyze(sql)` of such a statement also reports an `n-plus-one` finding.
   */
  nPlusOne(): NPlusOne[]
  /** Invalidates cached queries carrying any of these tags (`table:<name>` for a table). */
  invalidateTags(tags: string[]): Promise<void>
  /**
   * Start-up check (HikariCP's initializationFailTimeout): resolves once a connection could be made and
   * lent, retrying failing connects until `timeout` ms (default: the pool's acquireTimeout); then rejects
   * with HOTPATH_DB_NOT_READY, `cause` the last connect error. A missing driver module rejects at once.
   */
  ready(options?: ReadyOptions): Promise<void>
  stats(): DatabaseStats
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}
