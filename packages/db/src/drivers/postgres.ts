// PostgreSQL driver on `pg` (optional peer, imported only when the first connection is created):
// prepared statements, statement_timeout, pipelined batch, coded errors keeping SQLSTATE.
import { check } from '../pool-options.ts'
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
  /** Named prepared statements for SELECT/INSERT/UPDATE/DELETE with parameters, pipelined reads and batch(). Default true. */
  prepare?: boolean
  /** application_name reported to the server. Default 'hotpath'. */
  applicationName?: string
  /**
   * Auto-pipelining of autocommit reads: reads are queued and sent once per tick, up to `maxDepth` per
   * connection in one write, each with its own Sync (own implicit transaction, an error fails only its
   * statement). Never inside `transaction()`. Default `{ maxDepth: 16 }`; `false` off.
   */
  pipeline?: false | { maxDepth?: number }
  /** Extra pg.ClientConfig fields (ssl, host, user, ...). */
  client?: Record<string, unknown>
}

const POSTGRES_OPTION_KEYS: readonly string[] = [
  'connectionString',
  'statementTimeout',
  'connectTimeout',
  'prepare',
  'applicationName',
  'client',
  'pipeline',
]

function pipelineDepth(value: unknown): number {
  if (value === false) return 0
  const p = (check.object('pipeline', value, ['maxDepth']) ?? {}) as { maxDepth?: unknown }
  return check.integer('pipeline.maxDepth', p.maxDepth, 16, 1, 1_000)
}

/** PostgreSQL driver; `pg` is an optional peer dependency loaded on first connect. */
export function postgres(options: PostgresOptions = {}): Driver {
  const o = (check.object('options', options, POSTGRES_OPTION_KEYS) ?? {}) as PostgresOptions
  if (
    o.connectionString !== undefined &&
    (typeof o.connectionString !== 'string' || !/^postgres(ql)?:\/\//.test(o.connectionString))
  ) {
    check.fail('connectionString', o.connectionString, 'a postgres:// or postgresql:// URL')
  }
  const resolved = {
    connectionString: o.connectionString,
    statementTimeout: check.nonNegative('statementTimeout', o.statementTimeout, 30_000),
    connectTimeout: check.positive('connectTimeout', o.connectTimeout, 10_000),
    prepare: check.boolean('prepare', o.prepare, true),
    applicationName: check.string('applicationName', o.applicationName, 'hotpath'),
    client: check.object('client', o.client) ?? {},
    pipelineDepth: pipelineDepth(o.pipeline),
  }
  return {
    kind: 'hotpath-db-driver',
    system: 'postgresql',
    open: (ctx) => new PostgresInstance(resolved, ctx),
  }
}
