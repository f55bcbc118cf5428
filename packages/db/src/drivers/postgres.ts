// PostgreSQL driver on `pg` (optional peer, imported only when the first connection is created):
// prepared statements, statement_timeout, pipelined batch, coded errors keeping SQLSTATE.
import { InvalidOptionError } from '../errors.ts'
import { optNumber, optObject } from '../validate.ts'
import { PostgresInstance } from './pg-instance.ts'
import type { Driver } from './types.ts'

export interface PostgresOptions {
  /** `postgres://user@host:5432/db?options=...` */
  connectionString?: string
  /**
   * Server-side statement_timeout per connection (ms). Default 30 000; 0 disables. The client also gives
   * up on a connection that has not answered within this plus a margin (1-5 s): a frozen server.
   */
  statementTimeout?: number
  /** TCP connect + startup deadline (ms). Default 10 000. */
  connectTimeout?: number
  /** Named prepared statements for SELECT/INSERT/UPDATE/DELETE with parameters. Default true. */
  prepare?: boolean
  /** application_name reported to the server. Default 'hotpath'. */
  applicationName?: string
  /** Extra pg.ClientConfig fields (ssl, host, user, ...). */
  client?: Record<string, unknown>
}

/** PostgreSQL driver; `pg` is an optional peer dependency loaded on first connect. */
export function postgres(options: PostgresOptions = {}): Driver {
  const o = optObject<PostgresOptions>('postgres options', options) ?? {}
  if (
    o.connectionString !== undefined &&
    (typeof o.connectionString !== 'string' || !/^postgres(ql)?:\/\//.test(o.connectionString))
  ) {
    throw new InvalidOptionError('connectionString', o.connectionString, 'a postgres:// or postgresql:// URL')
  }
  if (o.prepare !== undefined && typeof o.prepare !== 'boolean') {
    throw new InvalidOptionError('prepare', o.prepare, 'a boolean')
  }
  if (o.applicationName !== undefined && typeof o.applicationName !== 'string') {
    throw new InvalidOptionError('applicationName', o.applicationName, 'a string')
  }
  const resolved = {
    connectionString: o.connectionString,
    statementTimeout: optNumber('statementTimeout', o.statementTimeout, 30_000),
    connectTimeout: optNumber('connectTimeout', o.connectTimeout, 10_000, { min: 1 }),
    prepare: o.prepare ?? true,
    applicationName: o.applicationName ?? 'hotpath',
    client: optObject<Record<string, unknown>>('client', o.client) ?? {},
  }
  return {
    kind: 'hotpath-db-driver',
    system: 'postgresql',
    open: (ctx) => new PostgresInstance(resolved, ctx),
  }
}
