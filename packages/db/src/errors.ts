// Coded errors of @hotpath/db. Every error carries a stable `code`; query errors also carry the
// statement's fingerprint and, on PostgreSQL, the SQLSTATE.

export type DbErrorCode =
  | 'HOTPATH_DB_INVALID_OPTION'
  | 'HOTPATH_DB_UNKNOWN_DRIVER'
  | 'HOTPATH_DB_DRIVER_MISSING'
  | 'HOTPATH_DB_POOL_CLOSED'
  | 'HOTPATH_DB_ACQUIRE_TIMEOUT'
  | 'HOTPATH_DB_POOL_QUEUE_FULL'
  | 'HOTPATH_DB_LEASE_RELEASED'
  | 'HOTPATH_DB_CLOSED'
  | 'HOTPATH_DB_QUERY'
  | 'HOTPATH_DB_SYNTAX'
  | 'HOTPATH_DB_PARAMETER_COUNT'
  | 'HOTPATH_DB_BIND'
  | 'HOTPATH_DB_CONSTRAINT'
  | 'HOTPATH_DB_STATEMENT_TIMEOUT'
  | 'HOTPATH_DB_CONNECTION'
  | 'HOTPATH_DB_WORKER'

export interface HotpathErrorOptions {
  cause?: unknown
  details?: Record<string, unknown>
}

/** Base class of every error thrown by @hotpath/db; recognisable across packages by the symbol marker. */
export class HotpathError extends Error {
  override name = 'HotpathError'
  readonly code: string
  readonly details: Record<string, unknown> | undefined

  constructor(code: string, message: string, options: HotpathErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.details = options.details
    // The cross-package marker `[Symbol.for('hotpath.error')] === true`.
    Object.defineProperty(this, Symbol.for('hotpath.error'), { value: true, enumerable: false })
  }
}

/** A bad option passed to a factory: names the option, the value received and what is allowed. */
export class InvalidOptionError extends HotpathError {
  override name = 'InvalidOptionError'
  constructor(option: string, value: unknown, allowed: string) {
    super(
      'HOTPATH_DB_INVALID_OPTION',
      `Invalid option "${option}": received ${describe(value)}, expected ${allowed}`,
      {
        details: { option, value },
      },
    )
  }
}

export class UnknownDriverError extends HotpathError {
  override name = 'UnknownDriverError'
  constructor(value: unknown) {
    super(
      'HOTPATH_DB_UNKNOWN_DRIVER',
      `Unknown driver: received ${describe(value)}, expected sqlite({ filename }), postgres({ connectionString }), 'sqlite' or 'postgres'`,
      { details: { driver: value } },
    )
  }
}

export class DriverMissingError extends HotpathError {
  override name = 'DriverMissingError'
  constructor(pkg: string, cause: unknown) {
    super(
      'HOTPATH_DB_DRIVER_MISSING',
      `The optional peer dependency "${pkg}" is not installed: npm i ${pkg}`,
      {
        cause,
      },
    )
  }
}

export class PoolClosedError extends HotpathError {
  override name = 'PoolClosedError'
  constructor(pool: string) {
    super('HOTPATH_DB_POOL_CLOSED', `Pool "${pool}" is closed`)
  }
}

export class AcquireTimeoutError extends HotpathError {
  override name = 'AcquireTimeoutError'
  constructor(pool: string, waitMs: number, cause: unknown) {
    super(
      'HOTPATH_DB_ACQUIRE_TIMEOUT',
      `Pool "${pool}": no resource became available within ${Math.round(waitMs)} ms` +
        (cause instanceof Error ? ` (last create error: ${cause.message})` : ''),
      cause === undefined ? {} : { cause },
    )
  }
}

export class PoolQueueFullError extends HotpathError {
  override name = 'PoolQueueFullError'
  constructor(pool: string, maxWaiting: number) {
    super('HOTPATH_DB_POOL_QUEUE_FULL', `Pool "${pool}": ${maxWaiting} callers already waiting (maxWaiting)`)
  }
}

export class LeaseReleasedError extends HotpathError {
  override name = 'LeaseReleasedError'
  constructor(pool: string) {
    super('HOTPATH_DB_LEASE_RELEASED', `Pool "${pool}": this lease was already released or destroyed`)
  }
}

export class DatabaseClosedError extends HotpathError {
  override name = 'DatabaseClosedError'
  constructor(name: string) {
    super('HOTPATH_DB_CLOSED', `Database "${name}" is closed`)
  }
}

/** A statement failed. `fingerprint` names it without literals; `sqlState` is PostgreSQL's SQLSTATE. */
export class QueryError extends HotpathError {
  override name = 'QueryError'
  readonly fingerprint: string
  readonly sqlState: string | undefined
  constructor(code: DbErrorCode, message: string, fingerprint: string, sqlState?: string, cause?: unknown) {
    super(code, `${message} [${fingerprint}]`, { cause, details: { fingerprint, sqlState } })
    this.fingerprint = fingerprint
    this.sqlState = sqlState
  }
}

export function isHotpathError(error: unknown): error is HotpathError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as Record<symbol, unknown>)[Symbol.for('hotpath.error')] === true
  )
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  if (value === null || typeof value !== 'object') return String(value)
  if (Array.isArray(value)) return 'an array'
  try {
    return JSON.stringify(value).slice(0, 80)
  } catch {
    return 'an object'
  }
}
