// SQLite driver on the built-in node:sqlite (no native addon): one writer connection serialised by a
// pool of one, plus reader connections (main thread, or worker threads with `readers: { threads }`).
import { AsyncLocalStorage } from 'node:async_hooks'
import type { DatabaseSync, StatementSync } from 'node:sqlite'
import type { Clock } from '@hotpath/core'
import { DbError, transactionFinished } from '../errors.ts'
import type { SqlInfo } from '../fingerprint.ts'
import { createPool, type Lease, type Pool } from '../pool.ts'
import { mapSqliteError } from './sqlite-errors.ts'
import {
  pragmaStatements,
  type ResolvedSqliteOptions,
  resolveSqliteOptions,
  SQLITE_AUTOCHECKPOINT,
  type SqliteOptions,
} from './sqlite-options.ts'
import { rewriteDollarParams } from './sqlite-sql.ts'
import { sqliteFullScans } from './sqlite-plan.ts'
import { type RowBuilder, rowBuilder } from './sqlite-rows.ts'
import { BACKSTOP_PAGES, type CheckpointStats, WalCheckpointer } from './sqlite-checkpointer.ts'
import { ReaderWorker } from './sqlite-worker.ts'
import { sqliteTarget } from './target.ts'
import type {
  DbTarget,
  Driver,
  DriverContext,
  DriverInstance,
  ExecResult,
  Params,
  Plan,
  Session,
  Statement,
} from './types.ts'
import { mergePoolStats } from './types.ts'

export { rewriteDollarParams } from './sqlite-sql.ts'

type SqliteModule = typeof import('node:sqlite')
let sqliteModule: SqliteModule | undefined

/** node:sqlite is loaded on first use, so importing @hotpath/db for the pool or PostgreSQL never touches it. */
function loadSqlite(): SqliteModule {
  sqliteModule ??= process.getBuiltinModule('node:sqlite') as SqliteModule
  return sqliteModule
}

/** A cached prepared statement and the builder of its rows (undefined: node:sqlite's own row objects). */
interface Prepared {
  st: StatementSync
  build: RowBuilder | undefined
}

class Connection {
  readonly db: DatabaseSync
  /** The writer's: a write landed (the background checkpointer follows it). */
  onWrite: (() => void) | undefined
  private readonly statements = new Map<string, Prepared>()
  private readonly cacheSize: number

  constructor(db: DatabaseSync, cacheSize: number) {
    this.db = db
    this.cacheSize = cacheSize
  }

  prepare(sql: string): Prepared {
    let p = this.statements.get(sql)
    if (p === undefined) {
      const st = this.db.prepare(rewriteDollarParams(sql))
      p = { st, build: rowBuilder(st, sql) }
      if (this.statements.size >= this.cacheSize) {
        const first = this.statements.keys().next().value
        if (first !== undefined) this.statements.delete(first)
      }
      this.statements.set(sql, p)
    }
    return p
  }

  all(sql: string, params: Params): ExecResult {
    const { st, build } = this.prepare(sql)
    let rows: unknown[]
    if (!Array.isArray(params)) rows = st.all(params as never)
    else if (params.length === 0) rows = st.all()
    else if (params.length === 1) rows = st.all(params[0] as never)
    else if (params.length === 2) rows = st.all(params[0] as never, params[1] as never)
    else rows = st.all(...(params as never[]))
    if (build !== undefined) for (let i = 0; i < rows.length; i++) rows[i] = build(rows[i] as unknown[])
    return { rows: rows as ExecResult['rows'], rowCount: rows.length }
  }

  run(sql: string, params: Params, info: SqlInfo): ExecResult {
    let result: ExecResult
    if (info.returnsRows) result = this.all(sql, params)
    else {
      const { st } = this.prepare(sql)
      const r = Array.isArray(params) ? st.run(...(params as never[])) : st.run(params as never)
      result = { rows: [], rowCount: Number(r.changes), lastInsertId: r.lastInsertRowid }
    }
    this.onWrite?.()
    return result
  }
}

const readAll = (c: Connection, sql: string, params: Params): ExecResult => c.all(sql, params)
const runWrite = (c: Connection, sql: string, s: { params: Params; info: SqlInfo }): ExecResult =>
  c.run(sql, s.params, s.info)

/** SQLITE_BUSY (5) or SQLITE_LOCKED (6): another connection holds the lock; the statement did not run. */
export function isBusy(error: unknown): boolean {
  const code = (error as { errcode?: unknown } | null)?.errcode
  return typeof code === 'number' && ((code & 0xff) === 5 || (code & 0xff) === 6)
}

/** A transaction in progress on this async path (a write on the database itself would wait for it). */
interface TxMark {
  open: boolean
}

const noop = (): void => {}
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

class SqliteInstance implements DriverInstance {
  readonly system = 'sqlite' as const
  readonly target: DbTarget
  private readonly name: string
  private readonly writer: Pool<Connection>
  private readonly readers: Pool<Connection> | null
  private readonly workers: Pool<ReaderWorker> | null
  /** Deadline (ms) of the asynchronous retries of a statement that met SQLITE_BUSY. */
  private readonly busyTimeout: number
  private readonly clock: Clock
  private readonly tx = new AsyncLocalStorage<TxMark>()
  /** Background WAL checkpoints (a WAL file database in 'background' mode). */
  private readonly checkpointer: WalCheckpointer | null = null
  /** The writer connection open now (the checkpointer's failure lowers its inline bound). */
  private writerConnection: Connection | undefined

  constructor(options: ResolvedSqliteOptions, ctx: DriverContext) {
    this.name = ctx.name
    this.clock = ctx.clock
    const { filename, pragmas, statementCacheSize } = options
    this.target = sqliteTarget(filename)
    this.busyTimeout = typeof pragmas.busy_timeout === 'number' ? pragmas.busy_timeout : 0
    const memory = filename === ':memory:' || filename === ''
    const background =
      !memory &&
      options.checkpoint === 'background' &&
      String(pragmas.journal_mode).toLowerCase() === 'wal' &&
      pragmas.wal_autocheckpoint === undefined
    const open = (reader: boolean): Connection => {
      const db = new (loadSqlite().DatabaseSync)(filename, reader ? { readOnly: true } : {})
      try {
        for (const p of pragmaStatements(pragmas, reader, true)) db.exec(p)
        if (!reader && background) this.setInlineBound(db)
      } catch (error) {
        db.close()
        throw error
      }
      const c = new Connection(db, statementCacheSize)
      if (!reader && background) {
        c.onWrite = this.wrote
        this.writerConnection = c
      }
      return c
    }
    const close = (c: Connection) => c.db.close()
    // The writer opens synchronously here: a bad filename throws from createDatabase, and the file
    // (in WAL mode) exists before readers open it read-only.
    let first: Connection | undefined
    try {
      first = open(false)
    } catch (error) {
      throw new DbError(
        'HOTPATH_DB_CONNECTION',
        `cannot open SQLite database "${filename}": ${(error as Error).message}`,
        { cause: error, details: { filename } },
      )
    }
    const createWriter = (): Connection => {
      const c = first ?? open(false)
      first = undefined
      return c
    }
    this.writer = createPool({
      ...ctx.pool,
      name: `${ctx.name}:writer`,
      clock: ctx.clock,
      min: 1,
      max: 1,
      create: createWriter,
      destroy: close,
    })
    this.readers = null
    this.workers = null
    if (memory) return
    if (background) {
      this.checkpointer = new WalCheckpointer(filename, options.checkpointInterval, ctx.clock, () => {
        // The worker is gone: SQLite's own inline bound again, so the WAL cannot grow past it.
        const c = this.writerConnection
        if (c?.db.isOpen) this.setInlineBound(c.db)
      })
    }
    if (options.threads > 0) {
      const readerPragmas = pragmaStatements(pragmas, true)
      this.workers = createPool<ReaderWorker>({
        ...ctx.pool,
        name: `${ctx.name}:readers`,
        clock: ctx.clock,
        max: options.threads,
        min: Math.min(ctx.pool.min ?? 0, options.threads),
        create: () =>
          ReaderWorker.open(
            filename,
            readerPragmas,
            (w, error) => this.workers?.invalidate(w, error),
            statementCacheSize,
          ),
        destroy: (w) => w.close(),
      })
    } else {
      this.readers = createPool({
        ...ctx.pool,
        name: `${ctx.name}:readers`,
        clock: ctx.clock,
        max: options.connections,
        min: Math.min(ctx.pool.min ?? 0, options.connections),
        create: () => open(true),
        destroy: close,
      })
    }
  }

  private readonly wrote = (): void => this.checkpointer?.wrote()

  /** The writer's inline autocheckpoint: the backstop while the checkpointer runs, SQLite's own once it failed. */
  private setInlineBound(db: DatabaseSync): void {
    const pages = this.checkpointer?.stats().failed ? SQLITE_AUTOCHECKPOINT : BACKSTOP_PAGES
    db.exec(`PRAGMA wal_autocheckpoint = ${pages}`)
  }

  checkpointStats(): CheckpointStats | undefined {
    return this.checkpointer?.stats()
  }

  read(sql: string, params: Params, info: SqlInfo, signal?: AbortSignal): ExecResult | Promise<ExecResult> {
    if (this.workers !== null) return this.readOnWorker(sql, params, signal)
    const pool = this.readers ?? this.writer
    let result: ExecResult | undefined
    try {
      result = pool.useSync(readAll, sql, params, undefined)
    } catch (error) {
      if (!isBusy(error)) throw error
      return this.whenNotBusy(() => this.readAsync(pool, sql, params, info, signal))
    }
    return result === undefined
      ? this.whenNotBusy(() => this.readAsync(pool, sql, params, info, signal))
      : result
  }

  /**
   * Runs `fn` again while it fails with SQLITE_BUSY, with backoff (1 ms doubling to 50 ms) until busy_timeout:
   * the event loop keeps running while another process holds the lock. Then the BUSY error is thrown
   * (mapped to HOTPATH_DB_BUSY).
   */
  private async whenNotBusy<R>(
    fn: () => R | Promise<R>,
    deadline: number = this.clock.now() + this.busyTimeout,
  ): Promise<R> {
    let delay = 1
    for (;;) {
      try {
        return await fn()
      } catch (error) {
        const left = deadline - this.clock.now()
        if (!isBusy(error) || left <= 0) throw error
        await sleep(Math.min(delay, left))
        delay = Math.min(delay * 2, 50)
      }
    }
  }

  /** The writer is held by a transaction on this very async path: waiting for it would wait for itself. */
  private checkNotInTransaction(what: string): void {
    if (this.tx.getStore()?.open === true) {
      throw new DbError(
        'HOTPATH_DB_NESTED_TRANSACTION',
        `${what} on the database inside its own transaction() would wait for that transaction: use the tx handle (tx.query / tx.execute)`,
      )
    }
  }

  private async readAsync(
    pool: Pool<Connection>,
    sql: string,
    params: Params,
    _info: SqlInfo,
    signal?: AbortSignal,
  ): Promise<ExecResult> {
    if (pool === this.writer) this.checkNotInTransaction('a read')
    const lease = await pool.acquire(signal === undefined ? undefined : { signal })
    const startedAt = this.clock.now()
    try {
      const r = lease.resource.all(sql, params)
      r.startedAt = startedAt
      return r
    } finally {
      lease.release()
    }
  }

  private async readOnWorker(sql: string, params: Params, signal?: AbortSignal): Promise<ExecResult> {
    const lease = await this.workers!.acquire(signal === undefined ? undefined : { signal })
    const startedAt = this.clock.now()
    try {
      const r = await lease.resource.run(sql, params)
      r.startedAt = startedAt
      return r
    } finally {
      lease.release()
    }
  }

  write(sql: string, params: Params, info: SqlInfo, signal?: AbortSignal): ExecResult | Promise<ExecResult> {
    let result: ExecResult | undefined
    if (this.writeLine === undefined) {
      try {
        result = this.writer.useSync(runWrite, sql, { params, info }, undefined)
      } catch (error) {
        if (!isBusy(error)) throw error
        return this.inWriteLine(() => this.writeAsync(sql, params, info, signal))
      }
      if (result !== undefined) return result
    }
    this.checkNotInTransaction('a write')
    return this.inWriteLine(() => this.writeAsync(sql, params, info, signal))
  }

  /**
   * Writes that could not run at once (the writer is leased, or another process holds the lock) wait in one
   * line, so they land in the order they were issued: independent busy retries would let a later write win.
   * Each keeps the busy deadline of when it was issued (a line behind a lock never held for good is bounded).
   */
  private writeLine: Promise<void> | undefined

  private inWriteLine<R>(fn: () => Promise<R>): Promise<R> {
    const deadline = this.clock.now() + this.busyTimeout
    const ahead = this.writeLine
    const run =
      ahead === undefined ? this.whenNotBusy(fn, deadline) : ahead.then(() => this.whenNotBusy(fn, deadline))
    const settled = run.then(noop, noop)
    this.writeLine = settled
    settled.then(() => {
      if (this.writeLine === settled) this.writeLine = undefined
    })
    return run
  }

  private async writeAsync(
    sql: string,
    params: Params,
    info: SqlInfo,
    signal?: AbortSignal,
  ): Promise<ExecResult> {
    const lease = await this.writer.acquire(signal === undefined ? undefined : { signal })
    const startedAt = this.clock.now()
    try {
      const r = lease.resource.run(sql, params, info)
      r.startedAt = startedAt
      return r
    } finally {
      lease.release()
    }
  }

  async transaction<R>(fn: (session: Session) => Promise<R>): Promise<R> {
    this.checkNotInTransaction('transaction()')
    const lease = await this.writer.acquire()
    const conn = lease.resource
    let open = false
    const mark: TxMark = { open: true }
    try {
      await this.whenNotBusy(() => conn.db.exec('BEGIN IMMEDIATE'))
      open = true
      const session: Session = {
        run: (sql, params, info) => {
          if (!open) return Promise.reject(transactionFinished())
          try {
            return Promise.resolve(conn.run(sql, params, info))
          } catch (error) {
            return Promise.reject(error)
          }
        },
      }
      const result = await this.tx.run(mark, () => fn(session))
      mark.open = false
      open = false
      await this.whenNotBusy(() => conn.db.exec('COMMIT'))
      return result
    } catch (error) {
      mark.open = false
      open = false
      this.rollback(conn, lease)
      throw error
    } finally {
      if (!(lease as { done?: boolean }).done) lease.release()
    }
  }

  private rollback(conn: Connection, lease: Lease<Connection>): void {
    try {
      if (conn.db.isTransaction) conn.db.exec('ROLLBACK')
    } catch {
      lease.destroy()
    }
  }

  async batch(statements: Statement[]): Promise<ExecResult[]> {
    return this.transaction(async (session) => {
      const out: ExecResult[] = []
      for (const s of statements) out.push(await session.run(s.sql, s.params, s.info))
      return out
    })
  }

  async explain(sql: string, params: Params, info: SqlInfo): Promise<Plan> {
    this.checkNotInTransaction('explain()')
    const lease = await this.writer.acquire()
    try {
      const rows = lease.resource.all(`EXPLAIN QUERY PLAN ${sql}`, params).rows as { detail: string }[]
      return { plan: rows, fullScans: sqliteFullScans(rows, info) }
    } finally {
      lease.release()
    }
  }

  mapError(error: unknown, info: SqlInfo): Error {
    return mapSqliteError(error, info.fingerprint)
  }

  async ready(timeout: number): Promise<void> {
    const pools: Pool<unknown>[] = [this.writer]
    if (this.readers !== null) pools.push(this.readers)
    if (this.workers !== null) pools.push(this.workers)
    await Promise.all(
      pools.map(async (pool) => {
        const lease = await pool.acquire({ timeout, failFast: false })
        lease.release()
      }),
    )
  }

  poolStats(): ReturnType<DriverInstance['poolStats']> {
    return mergePoolStats(this.name, Object.values(this.pools()))
  }

  pools(): ReturnType<DriverInstance['pools']> {
    const out: ReturnType<DriverInstance['pools']> = { writer: this.writer.stats() }
    if (this.readers !== null) out.readers = this.readers.stats()
    if (this.workers !== null) out.readers = this.workers.stats()
    return out
  }

  async close(): Promise<void> {
    // The checkpointer first: the writer, closing last, checkpoints what is left and removes the WAL.
    await this.checkpointer?.close()
    await Promise.all([this.readers?.close(), this.workers?.close()])
    await this.writer.close()
  }
}

/** The embedded default driver: node:sqlite with WAL, tuned pragmas and reader connections. */
export function sqlite(options: SqliteOptions = {}): Driver {
  const resolved = resolveSqliteOptions(options)
  return {
    kind: 'hotpath-db-driver',
    system: 'sqlite',
    open: (ctx) => new SqliteInstance(resolved, ctx),
  }
}
