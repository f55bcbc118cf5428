// The error codes of @hotpath/db: code -> when it is thrown. The README's `## Errors` table is checked
// against this registry both ways (test/errors.test.ts).
import type { ErrorCodeOf, ErrorRegistry } from '@hotpath/core'

export const errorCodes: {
  readonly HOTPATH_DB_INVALID_OPTION: string
  readonly HOTPATH_DB_UNKNOWN_DRIVER: string
  readonly HOTPATH_DB_DRIVER_MISSING: string
  readonly HOTPATH_DB_POOL_CLOSED: string
  readonly HOTPATH_DB_ACQUIRE_TIMEOUT: string
  readonly HOTPATH_DB_POOL_QUEUE_FULL: string
  readonly HOTPATH_DB_CREATE_FAILED: string
  readonly HOTPATH_DB_NOT_READY: string
  readonly HOTPATH_DB_CREATE_TIMEOUT: string
  readonly HOTPATH_DB_ABORTED: string
  readonly HOTPATH_DB_BUSY: string
  readonly HOTPATH_DB_NESTED_TRANSACTION: string
  readonly HOTPATH_DB_LEASE_RELEASED: string
  readonly HOTPATH_DB_CLOSED: string
  readonly HOTPATH_DB_TRANSACTION_FINISHED: string
  readonly HOTPATH_DB_QUERY: string
  readonly HOTPATH_DB_SYNTAX: string
  readonly HOTPATH_DB_PARAMETER_COUNT: string
  readonly HOTPATH_DB_BIND: string
  readonly HOTPATH_DB_CONSTRAINT: string
  readonly HOTPATH_DB_STATEMENT_TIMEOUT: string
  readonly HOTPATH_DB_CONNECTION: string
  readonly HOTPATH_DB_WORKER: string
} = {
  HOTPATH_DB_INVALID_OPTION:
    'a bad option or argument (names the option, the value received and what is allowed)',
  HOTPATH_DB_UNKNOWN_DRIVER: "`driver` is not sqlite(), postgres(), 'sqlite' or 'postgres'",
  HOTPATH_DB_DRIVER_MISSING: 'the optional peer dependency `pg` is not installed',
  HOTPATH_DB_POOL_CLOSED: 'acquire() or ready() on a closed pool, or a waiter still queued when it closed',
  HOTPATH_DB_ACQUIRE_TIMEOUT: 'no resource within `acquireTimeout`; `cause` is the last create error',
  HOTPATH_DB_POOL_QUEUE_FULL: '`maxWaiting` callers already wait',
  HOTPATH_DB_CREATE_FAILED:
    '`failFast`: a create (connect) failed while the pool held no resource; `cause` is the connect error',
  HOTPATH_DB_CREATE_TIMEOUT:
    "a create (connect) did not settle within `createTimeout` (the cause of the waiters' error; retried)",
  HOTPATH_DB_ABORTED:
    "the caller's `signal` aborted an acquire or a statement; `cause` is the signal's reason",
  HOTPATH_DB_BUSY:
    'SQLite: another connection or process held the lock past `busy_timeout` (SQLITE_BUSY / SQLITE_LOCKED); retryable, the statement did not run',
  HOTPATH_DB_NESTED_TRANSACTION:
    'SQLite: `db.execute()` / `db.query()` on the writer or `db.transaction()` inside `transaction()` (would wait for itself): use the tx handle',
  HOTPATH_DB_NOT_READY: '`db.ready()`: no connection within its deadline; `cause` is the last connect error',
  HOTPATH_DB_LEASE_RELEASED: 'a lease released or destroyed twice',
  HOTPATH_DB_CLOSED: 'work on a closed database',
  HOTPATH_DB_TRANSACTION_FINISHED:
    'a statement on a transaction handle after its transaction committed or rolled back',
  HOTPATH_DB_QUERY: 'any other statement failure (see `sqlState` / `cause`)',
  HOTPATH_DB_SYNTAX: 'SQL syntax error (SQLSTATE 42601)',
  HOTPATH_DB_PARAMETER_COUNT: 'wrong number of parameters (checked before the driver runs)',
  HOTPATH_DB_BIND: 'a value the driver cannot bind (or SQLSTATE class 22)',
  HOTPATH_DB_CONSTRAINT: 'constraint violation (SQLSTATE class 23, SQLITE_CONSTRAINT)',
  HOTPATH_DB_STATEMENT_TIMEOUT:
    '`statement_timeout` hit (SQLSTATE 57014), or no answer within the client-side guard (connection cut)',
  HOTPATH_DB_CONNECTION: 'connection lost (08xxx, 57P01, socket errors); cannot open the SQLite file',
  HOTPATH_DB_WORKER: 'a SQLite reader worker thread failed to start or died',
} satisfies ErrorRegistry

/** The codes @hotpath/db throws. */
export type DbErrorCode = ErrorCodeOf<typeof errorCodes>
