// An open PostgreSQL driver: a pool of pg Clients, each wrapped in a Conn that records what it is
// running, so one sweeping timer (not one per query) can cut connections whose server went silent.
import type { Clock } from '@hotpath/core'
import { poolErrorChannel } from '../channels.ts'
import { AbortedError, QueryError, transactionFinished } from '../errors.ts'
import { fingerprint, type SqlInfo } from '../fingerprint.ts'
import { createPool, type Lease, type Pool } from '../pool.ts'
import { isConnectionError, isMissingStatement, isStalePlan, mapPgError } from './pg-errors.ts'
import { AutoPipeline, type PipelineHost } from './pg-auto-pipeline.ts'
import { type BatchStatement, PipelineQuery } from './pg-pipeline.ts'
import { toPlan, toResult } from './pg-results.ts'
import { type Conn, loadPg, type PgCallback, type PgModule, type PgResult } from './pg-types.ts'
import { clientTarget, postgresTarget } from './target.ts'
import type {
  DbTarget,
  DriverContext,
  DriverInstance,
  ExecResult,
  Params,
  PipelineStats,
  Plan,
  Session,
  Statement,
} from './types.ts'

export interface ResolvedPostgresOptions {
  connectionString: string | undefined
  statementTimeout: number
  connectTimeout: number
  prepare: boolean
  applicationName: string
  client: Record<string, unknown>
  /** Auto-pipelining depth; 0 turns it off. */
  pipelineDepth: number
}

const noop = (): void => {}
const PREPARABLE = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE'])
const BEGIN = fingerprint('BEGIN')
const COMMIT = fingerprint('COMMIT')
const ROLLBACK = fingerprint('ROLLBACK')
const PING = fingerprint('SELECT 1')
const EMPTY: unknown[] = []

/** A client-side failure (no SQLSTATE: a value pg could not serialise) after pg may have marked the name parsed. */
const isClientSide = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code
  return !(typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) && !isConnectionError(error)
}

export class PostgresInstance implements DriverInstance {
  readonly system = 'postgresql' as const
  /** From the options at first; the first pg Client's own resolution (its host, port, database) then. */
  target: DbTarget
  private targetResolved = false
  private readonly pool: Pool<Conn>
  private readonly conns = new Set<Conn>()
  private readonly broken = new WeakSet<Conn>()
  private readonly names = new Map<string, string>()
  private nameSeq = 0
  private readonly prepare: boolean
  /** No answer for this long (statement_timeout + margin) means a frozen server or a lost network. */
  private readonly guardMs: number
  private guardTimer: NodeJS.Timeout | null = null
  private pg: PgModule | undefined
  private readonly clock: Clock
  private readonly config: Record<string, unknown>
  /** Auto-pipelining of reads (null when `pipeline: false`). */
  private readonly pipeline: AutoPipeline | null

  constructor(o: ResolvedPostgresOptions, ctx: DriverContext) {
    this.prepare = o.prepare
    this.clock = ctx.clock
    const config: Record<string, unknown> = {
      ...o.client,
      connectionString: o.connectionString,
      connectionTimeoutMillis: o.connectTimeout,
      application_name: o.applicationName,
    }
    this.config = config
    this.target = postgresTarget(o.connectionString, o.client)
    this.guardMs = 0
    if (o.statementTimeout > 0) {
      config.statement_timeout = o.statementTimeout
      this.guardMs = o.statementTimeout + Math.min(5_000, Math.max(1_000, o.statementTimeout))
      this.guardTimer = setInterval(() => this.sweepStuck(), Math.min(1_000, this.guardMs / 4))
      this.guardTimer.unref()
    }
    this.pool = createPool<Conn>({
      ...ctx.pool,
      name: ctx.name,
      clock: ctx.clock,
      // A connect that hangs (SYN to a black hole) fails a little after pg's own connectTimeout.
      createTimeout: ctx.pool.createTimeout ?? o.connectTimeout + 1_000,
      create: async () => {
        const pg = (this.pg ??= await loadPg())
        const client = new pg.Client(config)
        if (!this.targetResolved) {
          this.targetResolved = true
          this.target = clientTarget(client, this.target)
        }
        const conn: Conn = { client, busySince: 0, busyWith: null }
        client.on('error', (error) => {
          this.broken.add(conn)
          this.pool.invalidate(conn, error)
        })
        try {
          await client.connect()
        } catch (error) {
          client.end().catch(noop)
          throw error
        }
        this.conns.add(conn)
        return conn
      },
      destroy: async (conn) => {
        this.conns.delete(conn)
        let timer: NodeJS.Timeout | undefined
        await Promise.race([
          conn.client.end().catch(noop),
          new Promise<void>((resolve) => {
            timer = setTimeout(() => {
              conn.client.connection?.stream?.destroy()
              resolve()
            }, 2_000)
          }),
        ])
        clearTimeout(timer)
      },
      validate: (conn) => this.run(conn, 'SELECT 1', EMPTY, PING).then(() => true),
    })
    // After the pool: the pipeline takes leases of it.
    this.pipeline = o.pipelineDepth > 0 ? new AutoPipeline(this.pipelineHost(), o.pipelineDepth) : null
  }

  /** Cuts connections whose current statement got no answer within guardMs; their callers get an error. */
  private sweepStuck(): void {
    const t = this.clock.now()
    for (const conn of this.conns) {
      if (conn.busyWith === null || t - conn.busySince < this.guardMs) continue
      const error = new QueryError(
        'HOTPATH_DB_STATEMENT_TIMEOUT',
        `no answer from PostgreSQL within ${Math.round(t - conn.busySince)} ms (frozen server or lost network)`,
        conn.busyWith,
      )
      conn.busyWith = null
      this.broken.add(conn)
      conn.client.connection?.stream?.destroy(error)
    }
  }

  private statementName(sql: string, info: SqlInfo): string | undefined {
    if (!this.prepare || !PREPARABLE.has(info.operation) || info.multiStatement) return undefined
    let name = this.names.get(sql)
    if (name === undefined) {
      if (this.names.size >= 2_000) return undefined
      name = `hp_${(this.nameSeq++).toString(36)}`
      this.names.set(sql, name)
    }
    return name
  }

  /** Sends one statement with pg's callback API (no intermediate promises on the hot path). */
  private send(conn: Conn, sql: string, params: Params, info: SqlInfo, done: PgCallback): void {
    if (!Array.isArray(params)) {
      const message = 'PostgreSQL takes positional parameters ($1, $2): pass an array'
      done(new QueryError('HOTPATH_DB_BIND', message, info.fingerprint), undefined)
      return
    }
    conn.busySince = this.clock.now()
    conn.busyWith = info.fingerprint
    try {
      // Without parameters the simple protocol is one message and one server step (and allows scripts);
      // with parameters, a named prepared statement skips parse and plan after the first run.
      if (params.length === 0) {
        conn.client.query(sql, done)
        return
      }
      const name = this.statementName(sql, info)
      const config = name === undefined ? { text: sql, values: params } : { name, text: sql, values: params }
      conn.client.query(config, done)
    } catch (error) {
      done(error, undefined)
    }
  }

  /** After a failed prepared statement whose name may be poisoned on its connection, use a fresh name next time. */
  private forgetName(sql: string, error: unknown): void {
    if (isClientSide(error) || isMissingStatement(error)) this.names.delete(sql)
  }

  private run(conn: Conn, sql: string, params: Params, info: SqlInfo): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      this.send(conn, sql, params, info, (error, r) => {
        conn.busyWith = null
        if (error) this.forgetName(sql, error)
        if (error) reject(error)
        else resolve(toResult(r!))
      })
    })
  }

  private settle(lease: Lease<Conn>, error: unknown): void {
    if (this.broken.has(lease.resource) || isConnectionError(error)) lease.destroy(error)
    else lease.release()
  }

  /** The driver as the auto-pipeline sees it. */
  private pipelineHost(): PipelineHost {
    return {
      poolName: this.pool.name,
      pgModule: () => this.pg!,
      now: () => this.clock.now(),
      tryAcquire: () => this.pool.tryAcquire(),
      acquireThen: (onLease, onError) => this.pool.acquireThen(onLease, onError),
      statementName: (sql, info) => this.statementName(sql, info),
      forgetStatement: (sql, name) => {
        if (this.names.get(sql) === name) this.names.delete(sql)
      },
      execOn: (lease, sql, params, info, resolve, reject, signal) =>
        this.execOn(lease, sql, params, info, true, true, resolve, reject, signal),
      retry: (sql, params, info, signal) => this.exec(sql, params, info, false, false, signal),
      settle: (lease, error) => this.settle(lease, error),
    }
  }

  /**
   * A read outside a transaction: through the auto-pipeline (see pg-auto-pipeline.ts), or on its own
   * when pipelining is off (and for a script of several statements, or named parameters).
   */
  read(sql: string, params: Params, info: SqlInfo, signal?: AbortSignal): Promise<ExecResult> {
    if (!this.pipelines(params, info)) {
      return this.exec(sql, params, info, true, true, signal)
    }
    return this.pipeline!.read(sql, params as unknown[], info, signal)
  }

  pipelines(params: Params, info: SqlInfo): boolean {
    return this.pipeline !== null && Array.isArray(params) && !info.multiStatement
  }

  readThen(
    sql: string,
    params: Params,
    info: SqlInfo,
    signal: AbortSignal | undefined,
    onResult: (result: ExecResult) => void,
    onError: (error: unknown, pipelined?: boolean) => void,
  ): void {
    if (!this.pipelines(params, info)) {
      this.exec(sql, params, info, true, true, signal).then(onResult, onError)
      return
    }
    this.pipeline!.readThen(sql, params as unknown[], info, signal, onResult, onError)
  }

  pipelineStats(): PipelineStats {
    return (
      this.pipeline?.stats() ?? {
        enabled: false,
        maxDepth: 0,
        statements: 0,
        flushes: 0,
        maxDepthSeen: 0,
        depths: { '1': 0, '2-3': 0, '4-7': 0, '8-15': 0, '16-31': 0, '32+': 0 },
      }
    )
  }

  write(sql: string, params: Params, info: SqlInfo, signal?: AbortSignal): Promise<ExecResult> {
    return this.exec(sql, params, info, false, true, signal)
  }

  /** Cancels the statement a connection runs, from a separate short-lived connection (pg_cancel_backend). */
  private cancel(conn: Conn): void {
    const pid = (conn.client as unknown as { processID?: number }).processID
    const pg = this.pg
    if (pid === undefined || pg === undefined) return
    const client = new pg.Client(this.config)
    client
      .connect()
      .then(() => client.query({ text: 'SELECT pg_cancel_backend($1)', values: [pid] }))
      .catch((error: unknown) => {
        if (poolErrorChannel.hasSubscribers) poolErrorChannel.publish({ pool: this.pool.name, error })
      })
      .finally(() => client.end().catch(noop))
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
    signal?: AbortSignal,
  ): Promise<ExecResult> {
    // One promise per statement: the lease is taken (acquireThen: no promise of its own; a released
    // connection is handed over and reused synchronously) and the statement sent inside its executor.
    return new Promise((resolve, reject) => {
      this.pool.acquireThen(
        (l) => this.execOn(l, sql, params, info, readRetry, planRetry, resolve, reject, signal),
        reject,
        signal === undefined ? undefined : { signal },
      )
    })
  }

  private execOn(
    lease: Lease<Conn>,
    sql: string,
    params: Params,
    info: SqlInfo,
    readRetry: boolean,
    planRetry: boolean,
    resolve: (result: ExecResult | Promise<ExecResult>) => void,
    reject: (error: unknown) => void,
    signal?: AbortSignal,
  ): void {
    const conn = lease.resource
    let settled = false
    let onAbort: (() => void) | undefined
    if (signal !== undefined) {
      if (signal.aborted) {
        lease.release()
        reject(new AbortedError(this.pool.name, signal.reason))
        return
      }
      onAbort = () => {
        if (!settled) this.cancel(conn)
      }
      signal.addEventListener('abort', onAbort, { once: true })
    }
    const startedAt = this.clock.now()
    this.send(conn, sql, params, info, (error, r) => {
      if (settled) return
      settled = true
      conn.busyWith = null
      if (onAbort !== undefined) signal!.removeEventListener('abort', onAbort)
      if (!error) {
        lease.release()
        const result = toResult(r!)
        result.startedAt = startedAt
        resolve(result)
        return
      }
      this.settle(lease, error)
      if (isClientSide(error)) this.names.delete(sql)
      if (signal?.aborted) reject(new AbortedError(this.pool.name, signal.reason))
      else if (readRetry && isConnectionError(error)) resolve(this.exec(sql, params, info, false, planRetry))
      else if (planRetry && (isStalePlan(error) || isMissingStatement(error)) && this.names.delete(sql)) {
        resolve(this.exec(sql, params, info, readRetry, false))
      } else reject(error)
    })
  }

  async transaction<R>(fn: (session: Session) => Promise<R>): Promise<R> {
    const lease = await this.pool.acquire()
    const conn = lease.resource
    let open = false
    try {
      await this.run(conn, 'BEGIN', EMPTY, BEGIN)
      open = true
      const session: Session = {
        run: (sql, params, info) =>
          open ? this.run(conn, sql, params, info) : Promise.reject(transactionFinished()),
      }
      const result = await fn(session)
      open = false
      await this.run(conn, 'COMMIT', EMPTY, COMMIT)
      lease.release()
      return result
    } catch (error) {
      open = false
      try {
        if (!this.broken.has(conn)) await this.run(conn, 'ROLLBACK', EMPTY, ROLLBACK)
        this.settle(lease, error)
      } catch (rollbackError) {
        lease.destroy(rollbackError)
      }
      throw error
    }
  }

  async batch(statements: Statement[]): Promise<ExecResult[]> {
    const lease = await this.pool.acquire()
    const conn = lease.resource
    const pg = this.pg!
    const wire: BatchStatement[] = []
    try {
      for (const s of statements) {
        if (!Array.isArray(s.params)) {
          const message = 'PostgreSQL takes positional parameters: pass an array'
          throw new QueryError('HOTPATH_DB_BIND', message, s.info.fingerprint)
        }
        try {
          const values = s.params.map((v) => pg.utils.prepareValue(v))
          wire.push({ sql: s.sql, values, name: this.statementName(s.sql, s.info) })
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
          conn.busyWith = null
          if (error === undefined) {
            resolve(results!)
            return
          }
          if (typeof error === 'object' && error !== null) {
            ;(error as { statementIndex?: number }).statementIndex ??= query.completed()
          }
          reject(error)
        })
        conn.busySince = this.clock.now()
        conn.busyWith = statements[0]!.info.fingerprint
        ;(conn.client as unknown as { query(q: unknown): unknown }).query(query)
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
      // Unnamed (not prepared): EXPLAIN text differs from the statement's own.
      const r = await new Promise<PgResult>((resolve, reject) => {
        const conn = lease.resource
        conn.busySince = this.clock.now()
        conn.busyWith = info.fingerprint
        conn.client.query({ text: `EXPLAIN (FORMAT JSON) ${sql}`, values: params }, (error, result) => {
          conn.busyWith = null
          if (error) reject(error)
          else resolve(result as PgResult)
        })
      })
      lease.release()
      return toPlan(r)
    } catch (error) {
      this.settle(lease, error)
      throw mapPgError(error, info.fingerprint)
    }
  }

  /**
   * The generic plan of a parameterised statement (what a prepared statement runs after its fifth
   * execution), for analyze() without values: PREPARE + plan_cache_mode = force_generic_plan + EXPLAIN
   * EXECUTE with NULLs. Binding NULLs to the custom plan would fold `col = NULL` to `One-Time Filter: false`.
   */
  async explainGeneric(sql: string, info: SqlInfo, paramCount: number): Promise<Plan> {
    const lease = await this.pool.acquire()
    const client = lease.resource.client
    const name = `hp_explain_${(this.nameSeq++).toString(36)}`
    try {
      await client.query('SET plan_cache_mode = force_generic_plan')
      let r: PgResult
      try {
        await client.query(`PREPARE ${name} AS ${sql}`)
        r = await client.query(
          `EXPLAIN (FORMAT JSON) EXECUTE ${name}(${new Array(paramCount).fill('NULL').join(', ')})`,
        )
      } finally {
        await client.query(`DEALLOCATE IF EXISTS ${name}`).catch(noop)
        await client.query('RESET plan_cache_mode').catch(noop)
      }
      lease.release()
      return toPlan(r)
    } catch (error) {
      this.settle(lease, error)
      throw mapPgError(error, info.fingerprint)
    }
  }

  mapError(error: unknown, info: SqlInfo): Error {
    return mapPgError(error, info.fingerprint)
  }

  async ready(timeout: number): Promise<void> {
    const lease = await this.pool.acquire({ timeout, failFast: false })
    lease.release()
  }

  poolStats(): ReturnType<DriverInstance['poolStats']> {
    return this.pool.stats()
  }

  pools(): ReturnType<DriverInstance['pools']> {
    return { primary: this.pool.stats() }
  }

  async close(): Promise<void> {
    await this.pool.close()
    if (this.guardTimer !== null) clearInterval(this.guardTimer)
    this.guardTimer = null
  }
}
