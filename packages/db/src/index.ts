// Public API of @hotpath/db.
export { type Analysis, type Finding, type FindingKind, suggestIndex } from './analyze.ts'
export { createDatabase } from './database.ts'
export type {
  BatchStatement,
  Database,
  DatabaseOptions,
  DatabaseStats,
  ExecuteResult,
  QueryOptions,
  ReadyOptions,
  Transaction,
} from './database-types.ts'
export { type PostgresOptions, postgres } from './drivers/postgres.ts'
export { sqlite } from './drivers/sqlite.ts'
export { DEFAULT_PRAGMAS, type PragmaValue, type SqliteOptions } from './drivers/sqlite-options.ts'
export type { CheckpointStats } from './drivers/sqlite-checkpointer.ts'
export type {
  DbSystem,
  DbTarget,
  Driver,
  ExecResult,
  Params,
  PipelineStats,
  Plan,
  PoolSettings,
  Row,
} from './drivers/types.ts'
export { HotpathError, InvalidOptionError, isHotpathError } from '@hotpath/core'
export type {
  DbChannelPayloads,
  DbQueryTraceContext,
  DbTracingChannels,
  DbPoolAcquireEvent,
  DbPoolCreateEvent,
  DbPoolDestroyEvent,
  DbPoolDestroyReason,
  DbPoolErrorEvent,
  DbPoolLeakEvent,
  DbPoolReleaseEvent,
  DbPoolTimeoutEvent,
  DbQueryEvent,
  DbQueryEventError,
  DbSlowQueryEvent,
} from './channels.ts'
export { type DbErrorCode, errorCodes } from './error-codes.ts'
export {
  AbortedError,
  AcquireTimeoutError,
  CreateFailedError,
  DatabaseClosedError,
  DbError,
  DriverMissingError,
  LeaseReleasedError,
  PoolClosedError,
  PoolQueueFullError,
  type PoolState,
  QueryError,
  UnknownDriverError,
} from './errors.ts'
export { fingerprint, type SqlInfo } from './fingerprint.ts'
export type { NPlusOne, QueryStats, SlowQuery } from './insight.ts'
export {
  type AcquireOptions,
  createPool,
  type Lease,
  type Pool,
  type PoolStats,
  type TimeStats,
} from './pool.ts'
export type { PoolOptions } from './pool-options.ts'
export type { QueryCacheLike, QueryCacheOptions } from './query-cache.ts'
