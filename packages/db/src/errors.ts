// Coded errors of @hotpath/db, all HotpathError subclasses from @hotpath/core. Query errors also carry
// the statement's fingerprint and, on PostgreSQL, the SQLSTATE.
import { describe, HotpathError, type HotpathErrorOptions, nameErrorClass } from '@hotpath/core'
import type { DbErrorCode } from './error-codes.ts'

export type { DbErrorCode } from './error-codes.ts'

/** The invalid-option code of this package (for core's InvalidOptionError / optionChecks). */
export const INVALID_OPTION: 'HOTPATH_DB_INVALID_OPTION' = 'HOTPATH_DB_INVALID_OPTION'

/** A coded @hotpath/db error that has no class of its own (connection, worker, finished transaction). */
export class DbError extends HotpathError {
  declare readonly code: DbErrorCode
  constructor(code: DbErrorCode, message: string, options: HotpathErrorOptions = {}) {
    super(code, message, options)
  }
  static {
    nameErrorClass(DbError, 'DbError')
  }
}

/** A statement on a transaction handle after its transaction committed or rolled back. */
export function transactionFinished(): DbError {
  return new DbError(
    'HOTPATH_DB_TRANSACTION_FINISHED',
    'this transaction already committed or rolled back: run its statements inside the transaction callback',
  )
}

export class UnknownDriverError extends HotpathError {
  constructor(value: unknown) {
    super(
      'HOTPATH_DB_UNKNOWN_DRIVER' satisfies DbErrorCode,
      `unknown driver: received ${describe(value)}, expected sqlite({ filename }), postgres({ connectionString }), 'sqlite' or 'postgres'`,
      { details: { driver: value } },
    )
  }
  static {
    nameErrorClass(UnknownDriverError, 'UnknownDriverError')
  }
}

export class DriverMissingError extends HotpathError {
  constructor(pkg: string, cause: unknown) {
    super(
      'HOTPATH_DB_DRIVER_MISSING' satisfies DbErrorCode,
      `the optional peer dependency "${pkg}" is not installed: npm i ${pkg}`,
      { cause, details: { package: pkg } },
    )
  }
  static {
    nameErrorClass(DriverMissingError, 'DriverMissingError')
  }
}

export class PoolClosedError extends HotpathError {
  constructor(pool: string) {
    super('HOTPATH_DB_POOL_CLOSED' satisfies DbErrorCode, `pool "${pool}" is closed`, { details: { pool } })
  }
  static {
    nameErrorClass(PoolClosedError, 'PoolClosedError')
  }
}

/** A pool's state when an acquire timed out (HikariCP's "total, active, idle, waiting"). */
export interface PoolState {
  size: number
  idle: number
  used: number
  waiting: number
}

export class AcquireTimeoutError extends HotpathError {
  constructor(pool: string, waitMs: number, cause: unknown, state: PoolState) {
    const details = { pool, waitMs, ...state }
    super(
      'HOTPATH_DB_ACQUIRE_TIMEOUT' satisfies DbErrorCode,
      `pool "${pool}": no resource became available within ${Math.round(waitMs)} ms ` +
        `(size ${state.size}, idle ${state.idle}, used ${state.used}, waiting ${state.waiting})` +
        (cause instanceof Error ? ` (last create error: ${cause.message})` : ''),
      cause === undefined ? { details } : { cause, details },
    )
  }
  static {
    nameErrorClass(AcquireTimeoutError, 'AcquireTimeoutError')
  }
}

/** failFast: a create failed while the pool held no resource; `cause` is the create error. */
export class CreateFailedError extends HotpathError {
  constructor(pool: string, cause: unknown) {
    super(
      'HOTPATH_DB_CREATE_FAILED' satisfies DbErrorCode,
      `pool "${pool}": cannot create a resource and none exists` +
        (cause instanceof Error ? `: ${cause.message}` : ''),
      { cause, details: { pool } },
    )
  }
  static {
    nameErrorClass(CreateFailedError, 'CreateFailedError')
  }
}

/** An AbortSignal aborted the wait (acquire) or the statement (query); `cause` is the signal's reason. */
export class AbortedError extends HotpathError {
  constructor(where: string, reason: unknown) {
    super('HOTPATH_DB_ABORTED' satisfies DbErrorCode, `"${where}": aborted by the caller's AbortSignal`, {
      cause: reason,
      details: { pool: where },
    })
  }
  static {
    nameErrorClass(AbortedError, 'AbortedError')
  }
}

export class PoolQueueFullError extends HotpathError {
  constructor(pool: string, maxWaiting: number) {
    super(
      'HOTPATH_DB_POOL_QUEUE_FULL' satisfies DbErrorCode,
      `pool "${pool}": ${maxWaiting} callers already waiting (maxWaiting)`,
      { details: { pool, maxWaiting } },
    )
  }
  static {
    nameErrorClass(PoolQueueFullError, 'PoolQueueFullError')
  }
}

export class LeaseReleasedError extends HotpathError {
  constructor(pool: string) {
    super(
      'HOTPATH_DB_LEASE_RELEASED' satisfies DbErrorCode,
      `pool "${pool}": this lease was already released or destroyed`,
      { details: { pool } },
    )
  }
  static {
    nameErrorClass(LeaseReleasedError, 'LeaseReleasedError')
  }
}

export class DatabaseClosedError extends HotpathError {
  constructor(name: string) {
    super('HOTPATH_DB_CLOSED' satisfies DbErrorCode, `database "${name}" is closed`, {
      details: { database: name },
    })
  }
  static {
    nameErrorClass(DatabaseClosedError, 'DatabaseClosedError')
  }
}

/** A statement failed. `fingerprint` names it without literals; `sqlState` is PostgreSQL's SQLSTATE. */
export class QueryError extends HotpathError {
  declare readonly code: DbErrorCode
  readonly fingerprint: string
  readonly sqlState: string | undefined
  constructor(code: DbErrorCode, message: string, fingerprint: string, sqlState?: string, cause?: unknown) {
    super(code, `${message} [${fingerprint}]`, { cause, details: { fingerprint, sqlState } })
    this.fingerprint = fingerprint
    this.sqlState = sqlState
  }
  static {
    nameErrorClass(QueryError, 'QueryError')
  }
}
