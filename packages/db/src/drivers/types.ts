// The contract between the database API and a driver (sqlite, postgres).
import type { Clock } from '@hotpath/core'
import type { SqlInfo } from '../fingerprint.ts'
import type { PoolStats } from '../pool-types.ts'
import type { PoolOptions } from '../pool-options.ts'
import type { CheckpointStats } from './sqlite-checkpointer.ts'

export type Row = Record<string, unknown>
export type Params = readonly unknown[] | Record<string, unknown>

export interface ExecResult {
  rows: Row[]
  rowCount: number
  lastInsertId?: number | bigint
  /** Clock time at which the statement got its connection (the wait before it is not execution time). */
  startedAt?: number
  /** True when the statement went to the server in the auto-pipeline (see DbQueryEvent.pipelined). */
  pipelined?: boolean
}

export interface Statement {
  sql: string
  params: Params
  info: SqlInfo
}

/** Runs statements on one connection held for a transaction. */
export interface Session {
  run(sql: string, params: Params, info: SqlInfo): Promise<ExecResult>
}

export interface FullScan {
  table: string
  detail: string
  /** SQLite `SCAN t USING COVERING INDEX i`: a full scan of that index (not of the table). */
  index?: string
}

export interface Plan {
  plan: unknown
  fullScans: FullScan[]
}

/** The pool options createDatabase passes on to the driver's pools (its `clock` is the database's). */
export type PoolSettings = Omit<PoolOptions<unknown>, 'create' | 'destroy' | 'validate' | 'name' | 'clock'>

export interface DriverContext {
  name: string
  pool: PoolSettings
  /** The database's clock: drivers pass it to their pools and read time through it. */
  clock: Clock
}

/** Auto-pipelining of autocommit reads (PostgreSQL): what `stats().pipeline` reports. */
export interface PipelineStats {
  enabled: boolean
  /** The `pipeline.maxDepth` option (0 when pipelining is off). */
  maxDepth: number
  /** Statements sent through the pipeline queue (each with its own Sync). */
  statements: number
  /** Socket writes that carried them (one per connection turn). */
  flushes: number
  /** The deepest write so far. */
  maxDepthSeen: number
  /** Writes by depth: `'1'`, `'2-3'`, `'4-7'`, `'8-15'`, `'16-31'`, `'32+'`. */
  depths: Record<string, number>
}

export type DbSystem = 'sqlite' | 'postgresql'

/** What a driver's statements run against: the semantic conventions' db.namespace, server.address, server.port. */
export interface DbTarget {
  /** The PostgreSQL database name, or the SQLite file's basename (`':memory:'` in memory). */
  readonly namespace: string
  /** PostgreSQL: host name, IP address or Unix socket directory. */
  readonly serverAddress?: string
  /** PostgreSQL: the server's port. */
  readonly serverPort?: number
}

/** An open driver: connection pools plus the ways the database API runs statements. */
export interface DriverInstance {
  readonly system: DbSystem
  /** Where statements go (read per published event: a driver may refine it once it knows more). */
  readonly target: DbTarget
  /** A read outside a transaction. May return synchronously (main-thread SQLite). */
  read(sql: string, params: Params, info: SqlInfo, signal?: AbortSignal): ExecResult | Promise<ExecResult>
  /** Whether a read of these params goes to the auto-pipeline (sent with others in one client call). */
  pipelines?(params: Params, info: SqlInfo): boolean
  /**
   * read() with callbacks instead of a promise (drivers whose reads are always asynchronous). `onError`'s
   * `pipelined`: the failed statement had been sent in the auto-pipeline (a result says so itself).
   */
  readThen?(
    sql: string,
    params: Params,
    info: SqlInfo,
    signal: AbortSignal | undefined,
    onResult: (result: ExecResult) => void,
    onError: (error: unknown, pipelined?: boolean) => void,
  ): void
  /** A write outside a transaction (serialised on SQLite). May return synchronously. */
  write(sql: string, params: Params, info: SqlInfo, signal?: AbortSignal): ExecResult | Promise<ExecResult>
  transaction<R>(fn: (session: Session) => Promise<R>): Promise<R>
  /** All statements in one transaction (pipelined in one round trip on PostgreSQL). */
  batch(statements: Statement[]): Promise<ExecResult[]>
  explain(sql: string, params: Params, info: SqlInfo): Promise<Plan>
  /** The plan without values (PostgreSQL: the generic plan); drivers without it explain with NULLs. */
  explainGeneric?(sql: string, info: SqlInfo, paramCount: number): Promise<Plan>
  /** Maps a driver error to a coded QueryError naming the fingerprint. */
  mapError(error: unknown, info: SqlInfo): Error
  /** Resolves once every pool of the driver lent a connection within `timeout` ms (creates retried meanwhile). */
  ready(timeout: number): Promise<void>
  poolStats(): PoolStats
  /** Auto-pipelining counters (drivers that pipeline). */
  pipelineStats?(): PipelineStats
  /** Background WAL checkpoint counters (SQLite file databases in 'background' mode). */
  checkpointStats?(): CheckpointStats | undefined
  pools(): Record<string, PoolStats>
  close(): Promise<void>
}

/** What sqlite() / postgres() return: a description, opened by createDatabase. */
export interface Driver {
  readonly kind: 'hotpath-db-driver'
  readonly system: DbSystem
  open(context: DriverContext): DriverInstance
}

export function mergePoolStats(name: string, stats: PoolStats[]): PoolStats {
  const out: PoolStats = {
    kind: 'pool',
    name,
    size: 0,
    idle: 0,
    used: 0,
    pending: 0,
    min: 0,
    max: 0,
    created: 0,
    destroyed: 0,
    timeouts: 0,
    waitTime: { count: 0, totalMs: 0, maxMs: 0 },
    useTime: { count: 0, totalMs: 0, maxMs: 0 },
  }
  for (const s of stats) {
    out.size += s.size
    out.idle += s.idle
    out.used += s.used
    out.pending += s.pending
    out.min += s.min
    out.max += s.max
    out.created += s.created
    out.destroyed += s.destroyed
    out.timeouts += s.timeouts
    for (const k of ['waitTime', 'useTime'] as const) {
      out[k].count += s[k].count
      out[k].totalMs += s[k].totalMs
      out[k].maxMs = Math.max(out[k].maxMs, s[k].maxMs)
    }
  }
  return out
}
