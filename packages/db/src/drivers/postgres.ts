// PostgreSQL driver on `pg` (optional peer, imported only when the first connection is created):
// prepared statements, statement_timeout, pipelined batch, coded errors keeping SQLSTATE.
import { DriverMissingError, InvalidOptionError, QueryError } from '../errors.ts'
import type { SqlInfo } from '../fingerprint.ts'
import { createPool, type Lease, type Pool } from '../pool.ts'
import { optNumber, optObject } from '../validate.ts'
import { isConnectionError, mapPgError } from './pg-errors.ts'
import { PipelineQuery, type PgTypes } from './pg-pipeline.ts'
import type {
  Driver,
  DriverContext,
  DriverInstance,
  ExecResult,
  FullScan,
  Params,
  Plan,
  Session,
  Statement,
} from './types.ts'

export interface PostgresOptions {
  /** `postgres://user@host:5432/db?options=...` */
  connectionString?: string
  /** Server-side statement_timeout per connection (ms). Default 30 000; 0 disables. */
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

type PgCallback = (error: unknown, result: PgResult | PgResult[] | undefined) => void

interface PgClient {
  query(config: unknown): Promise<PgResult & PgResult[]>
  query(config: unknown, callback: PgCallback): void
  connect(): Promise<unknown>
  end(): Promise<void>
  on(event: 'error', fn: (error: Error) => void): unknown
  connection?: { stream?: { destroy(): void } }
}

interface PgModule {
  Client: new (config: Record<string, unknown>) => PgClient
  types: PgTypes
  utils: { prepareValue(value: unknown): unknown }
}

let pgModule: Promise<PgModule> | undefined
function loadPg(): Promise<PgModule> {
  pgModule ??= import('pg').then(
    (m) => ((m as { default?: unknown }).default ?? m) as PgModule,
    (error: unknown) => {
      pgModule = undefined
      throw new DriverMissingError('pg', error)
    },
  )
  return pgModule
}

const isStalePlan = (error: unknown): boolean =>
  (error as { code?: unknown } | null)?.code === '0A000' &&
  /cached plan must not change result type/.test(String((error as Error).message))

type PgResult = { rows: Record<string, unknown>[]; rowCount: number | null }

/** pg's Result (or, for a multi-statement simple query, the last of its Results) as an ExecResult. */
function toResult(r: PgResult | PgResult[]): ExecResult {
  const last = Array.isArray(r) ? (r[r.length - 1] ?? { rows: [], rowCount: 0 }) : r
  return { rows: last.rows, rowCount: last.rowCount ?? last.rows.length }
}

const PREPARABLE = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE'])
const noop = (): void => {}

class PostgresInstance implements DriverInstance {
  readonly system = 'postgresql' as const
  private readonly pool: Pool<PgClient>
  private readonly broken = new WeakSet<PgClient>()
  private readonly names = new Map<string, string>()
  private nameSeq = 0
  private readonly prepare: boolean
  private pg: PgModule | undefined

  constructor(
    o: Required<Omit<PostgresOptions, 'connectionString'>> & { connectionString?: string },
    ctx: DriverContext,
  ) {
    this.prepare = o.prepare
    const config: Record<string, unknown> = {
      ...o.client,
      connectionString: o.connectionString,
      connectionTimeoutMillis: o.connectTimeout,
      application_name: o.applicationName,
    }
    if (o.statementTimeout > 0) {
      config.statement_timeout = o.statementTimeout
      config.query_timeout = o.statementTimeout + 5_000
    }
    this.pool = createPool<PgClient>({
      ...ctx.pool,
      name: ctx.name,
      create: async () => {
        const pg = (this.pg ??= await loadPg())
        const client = new pg.Client(config)
        client.on('error', (error) => {
          this.broken.add(client)
          this.pool.invalidate(client, error)
        })
        try {
          await client.connect()
        } catch (error) {
          client.end().catch(noop)
          throw error
        }
        return client
      },
      destroy: async (client) => {
        let timer: NodeJS.Timeout | undefined
        await Promise.race([
          client.end().catch(noop),
          new Promise<void>((resolve) => {
            timer = setTimeout(() => {
              client.connection?.stream?.destroy()
              resolve()
            }, 2_000)
          }),
        ])
        clearTimeout(timer)
      },
      validate: (client) => client.query('SELECT 1').then(() => true),
    })
  }

  private statementName(sql: string, info: SqlInfo): string | undefined {
    if (!this.prepare || !PREPARABLE.has(info.operation) || info.tokens.includes(';')) return undefined
    let name = this.names.get(sql)
    if (name === undefined) {
      if (this.names.size >= 2_000) return undefined
      name = `hp_${(this.nameSeq++).toString(36)}`
      this.names.set(sql, name)
    }
    return name
  }

  /** Sends one statement with pg's callback API (no intermediate promises on the hot path). */
  private send(client: PgClient, sql: string, params: Params, info: SqlInfo, done: PgCallback): void {
    if (!Array.isArray(params)) {
      const message = 'PostgreSQL takes positional parameters ($1, $2): pass an array'
      done(new QueryError('HOTPATH_DB_BIND', message, info.fingerprint), undefined)
      return
    }
    try {
      // Without parameters the simple protocol is one message and one server step (and allows scripts);
      // with parameters, a named prepared statement skips parse and plan after the first run.
      if (params.length === 0) {
        client.query(sql, done)
        return
      }
      const name = this.statementName(sql, info)
      client.query(
        name === undefined ? { text: sql, values: params } : { name, text: sql, values: params },
        done,
      )
    } catch (error) {
      done(error, undefined)
    }
  }

  private run(client: PgClient, sql: string, params: Params, info: SqlInfo): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      this.send(client, sql, params, info, (error, r) => {
        if (error) reject(error)
        else resolve(toResult(r!))
      })
    })
  }

  private settle(lease: Lease<PgClient>, error: unknown): void {
    if (this.broken.has(lease.resource) || isConnectionError(error)) lease.destroy(error)
    else lease.release()
  }

  read(sql: string, params: Params, info: SqlInfo): Promise<ExecResult> {
    return this.exec(sql, params, info, true, true)
  }

  write(sql: string, params: Params, info: SqlInfo): Promise<ExecResult> {
    return this.exec(sql, params, info, false, true)
  }

  /**
   * One statement on a pooled connection. `readRetry`: a read whose connection died is retried once on a
   * fresh connection. `planRetry`: a prepared statement whose cached plan went stale after a schema change
   * (0A000) is prepared again under a new name, once (it did not run, so this is safe for writes too).
   */
  private exec(
    sql: string,
    params: Params,
    info: SqlInfo,
    readRetry: boolean,
    planRetry: boolean,
  ): Promise<ExecResult> {
    const lease = this.pool.tryAcquire()
    if (lease === undefined) {
      return this.pool.acquire().then((l) => this.execOn(l, sql, params, info, readRetry, planRetry))
    }
    return this.execOn(lease, sql, params, info, readRetry, planRetry)
  }

  private execOn(
    lease: Lease<PgClient>,
    sql: string,
    params: Params,
    info: SqlInfo,
    readRetry: boolean,
    planRetry: boolean,
  ): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      let settled = false
      this.send(lease.resource, sql, params, info, (error, r) => {
        if (settled) return
        settled = true
        if (!error) {
          lease.release()
          resolve(toResult(r!))
          return
        }
        this.settle(lease, error)
        if (readRetry && isConnectionError(error)) resolve(this.exec(sql, params, info, false, planRetry))
        else if (planRetry && isStalePlan(error) && this.names.delete(sql)) {
          resolve(this.exec(sql, params, info, readRetry, false))
        } else reject(error)
      })
    })
  }

  async transaction<R>(fn: (session: Session) => Promise<R>): Promise<R> {
    const lease = await this.pool.acquire()
    const client = lease.resource
    let open = false
    try {
      await client.query('BEGIN')
      open = true
      const session: Session = {
        run: (sql, params, info) =>
          open
            ? this.run(client, sql, params, info)
            : Promise.reject(new Error('transaction already finished')),
      }
      const result = await fn(session)
      open = false
      await client.query('COMMIT')
      lease.release()
      return result
    } catch (error) {
      open = false
      try {
        if (!this.broken.has(client)) await client.query('ROLLBACK')
        this.settle(lease, error)
      } catch (rollbackError) {
        lease.destroy(rollbackError)
      }
      throw error
    }
  }

  async batch(statements: Statement[]): Promise<ExecResult[]> {
    const lease = await this.pool.acquire()
    const pg = this.pg!
    const wire: { sql: string; values: unknown[] }[] = []
    try {
      for (let i = 0; i < statements.length; i++) {
        const s = statements[i]!
        if (!Array.isArray(s.params)) {
          throw new QueryError(
            'HOTPATH_DB_BIND',
            'PostgreSQL takes positional parameters: pass an array',
            s.info.fingerprint,
          )
        }
        try {
          wire.push({ sql: s.sql, values: s.params.map((v) => pg.utils.prepareValue(v)) })
        } catch (error) {
          const message = `Cannot bind a parameter: ${(error as Error).message}`
          throw new QueryError('HOTPATH_DB_BIND', message, s.info.fingerprint, undefined, error)
        }
      }
    } catch (error) {
      lease.release()
      throw error
    }
    try {
      const results = await new Promise<ExecResult[]>((resolve, reject) => {
        const query = new PipelineQuery(wire, pg.types, (error, results) => {
          if (error !== undefined) {
            if (typeof error === 'object' && error !== null)
              (error as { statementIndex?: number }).statementIndex ??= query.completed()
            reject(error)
          } else resolve(results!)
        })
        ;(lease.resource as unknown as { query(q: unknown): unknown }).query(query)
      })
      lease.release()
      return results
    } catch (error) {
      this.settle(lease, error)
      throw error
    }
  }

  async explain(sql: string, params: Params, info: SqlInfo): Promise<Plan> {
    const lease = await this.pool.acquire()
    try {
      const r = await lease.resource.query({ text: `EXPLAIN (FORMAT JSON) ${sql}`, values: params })
      lease.release()
      const plan = r.rows[0]?.['QUERY PLAN']
      const doc = (typeof plan === 'string' ? JSON.parse(plan) : plan) as { Plan: PgPlanNode }[]
      const fullScans: FullScan[] = []
      walk(doc[0]?.Plan, fullScans)
      return { plan: doc, fullScans }
    } catch (error) {
      this.settle(lease, error)
      throw mapPgError(error, info.fingerprint)
    }
  }

  mapError(error: unknown, info: SqlInfo): Error {
    return mapPgError(error, info.fingerprint)
  }

  poolStats(): ReturnType<DriverInstance['poolStats']> {
    return this.pool.stats()
  }

  pools(): ReturnType<DriverInstance['pools']> {
    return { primary: this.pool.stats() }
  }

  close(): Promise<void> {
    return this.pool.close()
  }
}

interface PgPlanNode {
  'Node Type'?: string
  'Relation Name'?: string
  Filter?: string
  Plans?: PgPlanNode[]
}

function walk(node: PgPlanNode | undefined, out: FullScan[]): void {
  if (node === undefined) return
  if (node['Node Type'] === 'Seq Scan' && node['Relation Name'] !== undefined) {
    out.push({
      table: node['Relation Name'],
      detail: `Seq Scan on ${node['Relation Name']}${node.Filter ? ` Filter: ${node.Filter}` : ''}`,
    })
  }
  for (const child of node.Plans ?? []) walk(child, out)
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
  if (o.prepare !== undefined && typeof o.prepare !== 'boolean')
    throw new InvalidOptionError('prepare', o.prepare, 'a boolean')
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
