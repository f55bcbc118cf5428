// Diagnostics channels of @hotpath/db, created once at module load (see docs/diagnostics-channels.md).
// The payload interfaces are part of the public contract (@hotpath/metrics imports the types only).
import { type TracingChannel, tracingChannel } from 'node:diagnostics_channel'
import { type TypedChannel, typedChannel } from '@hotpath/core'
import type { DbSystem } from './drivers/types.ts'

/** `error` of a failed statement: our code, the message, and the server's own status when it sent one. */
export interface DbQueryEventError {
  /** The coded error's `code` (a `HOTPATH_DB_*` code). */
  code: string
  message: string
  /**
   * PostgreSQL's SQLSTATE (`'23505'`, `'57014'`), the semantic conventions' `db.response.status_code` and
   * `error.type`. Absent on SQLite and for client-side failures (a lost connection, a value pg cannot bind).
   */
  sqlState?: string
}

/** `hotpath:db:query` (and `hotpath:db:slow-query`): one statement finished or failed. */
export interface DbQueryEvent {
  /** The database's `name` option (the emitter; not the server-side database, see `namespace`). */
  database: string
  /** `db.system.name`. */
  system: DbSystem
  /**
   * `db.namespace`: the PostgreSQL database connected to (resolved as pg does: connection string, `client`
   * options, PGDATABASE, the user name), or the SQLite file's basename (`':memory:'` in memory).
   */
  namespace: string
  /** `server.address` (PostgreSQL only): the host name, IP address or Unix socket directory. */
  serverAddress?: string
  /** `server.port` (PostgreSQL only). */
  serverPort?: number
  /** First keyword of the statement, upper case: 'SELECT', 'INSERT', 'UPDATE', 'DELETE', 'WITH', ... */
  operation: string
  /** The statement without literals (`select * from t where id = ?`). */
  fingerprint: string
  /** Low-cardinality summary (`SELECT orders`). */
  summary: string
  /** Execution time, from when the statement had its connection; 0 for a query-cache hit. */
  durationMs: number
  /** Time spent waiting for a pooled connection before it ran (not part of durationMs). */
  waitMs: number
  rows: number
  /** True when the rows came from the query cache (the statement did not run). */
  cached: boolean
  /**
   * True when the statement went to the server in PostgreSQL's auto-pipeline: several reads in one pg
   * `Client#query` call, which a hook on that method (instrumentation-pg) cannot time as one statement.
   * Set from how it was really sent: false for a read sent on its own (alone in the queue with a `signal`,
   * a retry on a fresh connection), for one that never reached the server, and for everything else.
   */
  pipelined: boolean
  /** `db.operation.batch.size` on each statement of a db.batch() (its statement count); absent otherwise. */
  batchSize?: number
  /** Present when the statement failed. */
  error?: DbQueryEventError
}

/** `hotpath:db:slow-query`: a statement at or over `slowQueryThreshold` (same payload as `hotpath:db:query`). */
export type DbSlowQueryEvent = DbQueryEvent

/** `hotpath:db:pool:acquire`: a lease was handed out after `waitMs`. */
export interface DbPoolAcquireEvent {
  pool: string
  waitMs: number
}

/** `hotpath:db:pool:release`: a lease came back after `useMs`. */
export interface DbPoolReleaseEvent {
  pool: string
  useMs: number
}

/** `hotpath:db:pool:timeout`: a waiter's acquire deadline passed. */
export interface DbPoolTimeoutEvent {
  pool: string
  waitMs: number
  /** Waiters still queued after this one left. */
  pending: number
}

/** `hotpath:db:pool:create`: a create succeeded (no `error`) or failed. */
export interface DbPoolCreateEvent {
  pool: string
  error?: unknown
}

/** Why a resource left the pool. */
export type DbPoolDestroyReason = 'destroyed' | 'error' | 'lifetime' | 'idle' | 'validation' | 'close'

/** `hotpath:db:pool:destroy`: a resource left the pool. */
export interface DbPoolDestroyEvent {
  pool: string
  reason: DbPoolDestroyReason
  /** The error that broke the resource (`invalidate(resource, error)`, `lease.destroy(error)`), when there was one. */
  error?: unknown
}

/** `hotpath:db:pool:error`: an idle resource failed, or `destroy` threw. */
export interface DbPoolErrorEvent {
  pool: string
  error: unknown
}

/** `hotpath:db:pool:leak`: a lease held longer than `leakDetection`. */
export interface DbPoolLeakEvent {
  pool: string
  heldMs: number
  /** Stack of the acquire() call that took the lease. */
  stack: string | undefined
}

/**
 * Context of the `hotpath:db:query` tracing channel (`tracing:hotpath:db:query:start`, `:end`,
 * `:asyncStart`, `:asyncEnd`, `:error`): one per statement that runs (query, execute, a transaction's
 * statements, one for a whole db.batch(); not query-cache hits, which publish `hotpath:db:query` with
 * `cached: true` only). It covers the
 * wait for a pooled connection too. `result` and `error` are set by Node.
 */
export interface DbQueryTraceContext {
  /** The database's `name` option. */
  database: string
  /** `db.system.name`. */
  system: DbSystem
  /** `db.namespace` (see DbQueryEvent.namespace). */
  namespace: string
  /** `server.address` (PostgreSQL only). */
  serverAddress?: string
  /** `server.port` (PostgreSQL only). */
  serverPort?: number
  /** `db.operation.name`: first keyword, upper case (`SELECT`); `BATCH INSERT` / `BATCH` for db.batch(). */
  operation: string
  /** `db.collection.name`: the table when the statement names exactly one. */
  collection?: string
  /** `db.query.summary`, the span name (`SELECT orders`; never a prepared statement's name). */
  summary: string
  /** The statement without literals (`db.query.text`). */
  fingerprint: string
  /**
   * At `start`: whether the read is expected to go through PostgreSQL's auto-pipeline (several statements
   * in one pg `Client#query` call, which a hook on that method, instrumentation-pg, cannot see as one).
   * Corrected when the statement settles to how it was really sent (see DbQueryEvent.pipelined).
   */
  pipelined: boolean
  /** `db.operation.batch.size`: the statements of a db.batch() (one trace for the batch); absent otherwise. */
  batchSize?: number
  /** At the end: rows returned or affected (0 while running or after a failure). */
  readonly rows: number
  /** On failure: the SQLSTATE the server sent (`db.response.status_code`), if any. */
  readonly sqlState: string | undefined
  /** Set by Node on success: the rows (query) or the ExecuteResult (execute). */
  result?: unknown
  /** Set by Node on failure: the coded DbError. */
  error?: unknown
}

/** Tracing channels (name -> context), published only while someone subscribes. */
export interface DbTracingChannels {
  'hotpath:db:query': DbQueryTraceContext
}

/** Channel name -> payload type of every channel @hotpath/db publishes on. */
export interface DbChannelPayloads {
  'hotpath:db:query': DbQueryEvent
  'hotpath:db:slow-query': DbSlowQueryEvent
  'hotpath:db:pool:acquire': DbPoolAcquireEvent
  'hotpath:db:pool:release': DbPoolReleaseEvent
  'hotpath:db:pool:timeout': DbPoolTimeoutEvent
  'hotpath:db:pool:create': DbPoolCreateEvent
  'hotpath:db:pool:destroy': DbPoolDestroyEvent
  'hotpath:db:pool:error': DbPoolErrorEvent
  'hotpath:db:pool:leak': DbPoolLeakEvent
}

export const queryChannel: TypedChannel<DbQueryEvent> = typedChannel('hotpath:db:query')
export const slowQueryChannel: TypedChannel<DbSlowQueryEvent> = typedChannel('hotpath:db:slow-query')
export const acquireChannel: TypedChannel<DbPoolAcquireEvent> = typedChannel('hotpath:db:pool:acquire')
export const releaseChannel: TypedChannel<DbPoolReleaseEvent> = typedChannel('hotpath:db:pool:release')
export const timeoutChannel: TypedChannel<DbPoolTimeoutEvent> = typedChannel('hotpath:db:pool:timeout')
export const createChannel: TypedChannel<DbPoolCreateEvent> = typedChannel('hotpath:db:pool:create')
export const destroyChannel: TypedChannel<DbPoolDestroyEvent> = typedChannel('hotpath:db:pool:destroy')
export const poolErrorChannel: TypedChannel<DbPoolErrorEvent> = typedChannel('hotpath:db:pool:error')
export const leakChannel: TypedChannel<DbPoolLeakEvent> = typedChannel('hotpath:db:pool:leak')

export const queryTracing: TracingChannel<object, DbQueryTraceContext> = tracingChannel<
  object,
  DbQueryTraceContext
>('hotpath:db:query')
