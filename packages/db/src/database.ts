// createDatabase: query / execute / transaction / batch on a driver, with fingerprint statistics,
// slow-query plans, analyze(), and a query cache invalidated by writes to the tables it read.
import { AsyncResource } from 'node:async_hooks'
import { type Clock, isHotpathError } from '@hotpath/core'
import { type Analysis, likePatterns, scanFindings, staticFindings } from './analyze.ts'
import { type DbQueryEvent, queryChannel, queryTracing, slowQueryChannel } from './channels.ts'
import type {
  DbSystem,
  DriverInstance,
  ExecResult,
  Params,
  Plan,
  PoolSettings,
  Row,
  Statement,
} from './drivers/types.ts'
import { AbortedError, DatabaseClosedError, DbError } from './errors.ts'
import { fingerprint, type SqlInfo } from './fingerprint.ts'
import {
  type FingerprintStats,
  Insight,
  N_PLUS_ONE_WINDOW_MS,
  type NPlusOne,
  type SlowQuery,
} from './insight.ts'
import type {
  BatchStatement,
  Database,
  DatabaseOptions,
  DatabaseStats,
  ExecuteResult,
  QueryOptions,
  ReadyOptions,
  Transaction,
} from './database-types.ts'
import { DATABASE_OPTION_KEYS, POOL_SETTING_KEYS, resolveDriver } from './database-options.ts'
import { checkParams } from './params-check.ts'
import { check, resolvePoolOptions } from './pool-options.ts'
import { queryEvent } from './query-events.ts'
import { QueryCacheHolder } from './query-cache.ts'
import { QueryTrace } from './query-trace.ts'

interface Entry {
  info: SqlInfo
  stats: FingerprintStats
  tags: string[]
}

const EMPTY: readonly unknown[] = Object.freeze([])

const toExecuteResult = (r: ExecResult): ExecuteResult =>
  r.lastInsertId === undefined
    ? { rowCount: r.rowCount, rows: r.rows }
    : { rowCount: r.rowCount, lastInsertId: r.lastInsertId, rows: r.rows }
const EXPLAINABLE = new Set(['SELECT', 'UPDATE', 'DELETE'])

class DatabaseImpl implements Database {
  readonly name: string
  readonly system: DbSystem
  private readonly driver: DriverInstance
  private readonly insight: Insight
  private readonly entries = new Map<string, Entry>()
  private readonly cache: QueryCacheHolder
  private readonly slowQueryThreshold: number
  private readonly explainSlow: boolean
  /** The instance clock (query durations, slow-query stamps); also given to the pools and the query cache. */
  private readonly clock: Clock
  private closePromise: Promise<void> | null = null
  private closed = false
  private readonly acquireTimeout: number

  constructor(options: DatabaseOptions) {
    const o = (check.object('options', options, DATABASE_OPTION_KEYS) ?? {}) as DatabaseOptions
    this.name = check.string('name', o.name, 'db')
    this.slowQueryThreshold = check.nonNegative('slowQueryThreshold', o.slowQueryThreshold, 50)
    this.explainSlow = check.boolean('explainSlowQueries', o.explainSlowQueries, true)
    this.clock = check.clock('clock', o.clock)
    const pool = (check.object('pool', o.pool, POOL_SETTING_KEYS) ?? {}) as PoolSettings
    // Validated here once, whatever pools the driver makes of them (SQLite's writer is always max 1).
    this.acquireTimeout = resolvePoolOptions({ ...pool, create: () => undefined }).acquireTimeout
    this.insight = new Insight(this.clock)
    this.cache = new QueryCacheHolder(o.queryCache, o.clock)
    const driver = resolveDriver(o.driver)
    this.system = driver.system
    this.driver = driver.open({ name: this.name, pool, clock: this.clock })
  }

  private entry(sql: string): Entry {
    let e = this.entries.get(sql)
    if (e === undefined) {
      if (typeof sql !== 'string' || sql.trim() === '') check.fail('sql', sql, 'a non-empty SQL string')
      const info = fingerprint(sql)
      if (this.entries.size >= 2_000) this.entries.clear()
      e = {
        info,
        stats: this.insight.statsFor(info.fingerprint, info.summary),
        tags: info.tables.map((t) => `table:${t}`),
      }
      this.entries.set(sql, e)
    }
    return e
  }

  private checkParams(e: Entry, params: Params): void {
    checkParams(this.system, e.info, params)
  }

  query<T = Row>(sql: string, params: Params = EMPTY, options?: QueryOptions): Promise<T[]> {
    if (this.closed) return Promise.reject(new DatabaseClosedError(this.name))
    let e: Entry
    try {
      e = this.entry(sql)
      this.checkParams(e, params)
    } catch (error) {
      return Promise.reject(error)
    }
    if (options !== undefined && options.cache !== undefined && options.cache !== false && e.info.isRead) {
      return this.cachedQuery<T>(sql, params, options, e)
    }
    const signal = options?.signal
    if (signal !== undefined) {
      if (!(signal instanceof AbortSignal)) {
        return Promise.reject(check.fail('signal', signal, 'an AbortSignal'))
      }
      if (signal.aborted) return Promise.reject(new AbortedError(this.name, signal.reason))
    }
    return this.run(sql, params, e, signal) as Promise<T[]>
  }

  /** Runs one statement, inside the hotpath:db:query tracing channel while it has subscribers. */
  private run(sql: string, params: Params, e: Entry, signal?: AbortSignal): Promise<Row[]> {
    if (!queryTracing.hasSubscribers) return this.runStatement(sql, params, e, signal)
    const pipelined = e.info.isRead && this.driver.pipelines?.(params, e.info) === true
    const trace = this.traceOf(e, pipelined)
    return queryTracing.tracePromise(this.runStatement, trace, this, sql, params, e, signal, trace)
  }

  private traceOf(e: Entry, pipelined = false): QueryTrace {
    return new QueryTrace(this.name, this.system, this.driver.target, e.info, pipelined)
  }

  /** `trace`: the statement's tracing context, whose `pipelined` learns how the statement was really sent. */
  private runStatement(
    sql: string,
    params: Params,
    e: Entry,
    signal?: AbortSignal,
    trace?: QueryTrace,
  ): Promise<Row[]> {
    const t0 = this.clock.now()
    const driver = this.driver
    if (e.info.isRead && driver.readThen !== undefined) {
      // One promise per read: the driver settles it through callbacks (no promise of its own to chain).
      return new Promise<Row[]>((resolve, reject) => {
        let onResult = (res: ExecResult): void => {
          if (trace !== undefined) trace.pipelined = res.pipelined === true
          try {
            resolve(this.finish(sql, params, e, res, t0).rows)
          } catch (error) {
            reject(error)
          }
        }
        // traced: the events of the result are published in the statement's context, not the socket's
        if (queryTracing.hasSubscribers) onResult = AsyncResource.bind(onResult)
        try {
          driver.readThen!(sql, params, e.info, signal, onResult, (error, pipelined = false) => {
            if (trace !== undefined) trace.pipelined = pipelined
            reject(this.failed(e, error, t0, pipelined))
          })
        } catch (error) {
          reject(this.failed(e, error, t0))
        }
      })
    }
    let r: ExecResult | Promise<ExecResult>
    try {
      r = e.info.isRead
        ? this.driver.read(sql, params, e.info, signal)
        : this.driver.write(sql, params, e.info, signal)
    } catch (error) {
      return Promise.reject(this.failed(e, error, t0))
    }
    if (r instanceof Promise) {
      return r.then(
        (res) =>
          e.info.isRead
            ? this.finish(sql, params, e, res, t0).rows
            : this.afterWrite(sql, params, e, res, t0),
        (error: unknown) => {
          throw this.failed(e, error, t0)
        },
      )
    }
    if (!e.info.isRead) return this.afterWrite(sql, params, e, r, t0)
    return Promise.resolve(this.finish(sql, params, e, r, t0).rows)
  }

  /** Records a write and invalidates the cached queries of the tables it names before resolving. */
  private async afterWrite(
    sql: string,
    params: Params,
    e: Entry,
    res: ExecResult,
    t0: number,
  ): Promise<Row[]> {
    this.finish(sql, params, e, res, t0)
    const cache = this.cache.cache
    if (cache !== undefined && e.tags.length > 0) await cache.invalidateTags(e.tags).catch(() => {})
    return res.rows
  }

  private finish(sql: string, params: Params, e: Entry, res: ExecResult, t0: number): ExecResult {
    // Execution time from when the statement got its connection; the wait for it is reported apart.
    const start = res.startedAt ?? t0
    const durationMs = this.clock.now() - start
    const pipelined = res.pipelined === true
    e.stats.record(durationMs, res.rowCount, false)
    if (params !== EMPTY) this.insight.observe(sql, e.info.fingerprint, e.info.summary, params)
    if (queryChannel.hasSubscribers)
      queryChannel.publish(this.payload(e, durationMs, res.rowCount, false, undefined, start - t0, pipelined))
    if (durationMs >= this.slowQueryThreshold)
      this.slow(sql, params, e, durationMs, res.rowCount, undefined, pipelined)
    return res
  }

  /** `pipelined`: it had been sent in the auto-pipeline; `batchSize`: it was a statement of a db.batch(). */
  private failed(e: Entry, error: unknown, t0: number, pipelined = false, batchSize?: number): Error {
    const durationMs = this.clock.now() - t0
    const mapped = this.driver.mapError(error, e.info)
    e.stats.record(durationMs, 0, true)
    if (queryChannel.hasSubscribers)
      queryChannel.publish(this.payload(e, durationMs, 0, false, mapped, 0, pipelined, batchSize))
    return mapped
  }

  private payload(
    e: Entry,
    durationMs: number,
    rows: number,
    cached: boolean,
    error: Error | undefined,
    waitMs = 0,
    pipelined = false,
    batchSize?: number,
  ): DbQueryEvent {
    return queryEvent(
      this.name,
      this.system,
      this.driver.target,
      e.info,
      durationMs,
      waitMs,
      rows,
      cached,
      error,
      pipelined,
      batchSize,
    )
  }

  private slow(
    sql: string,
    params: Params,
    e: Entry,
    durationMs: number,
    rows: number,
    error: Error | undefined,
    pipelined: boolean,
  ): void {
    if (slowQueryChannel.hasSubscribers)
      slowQueryChannel.publish(this.payload(e, durationMs, rows, false, error, 0, pipelined))
    const explain =
      this.explainSlow && EXPLAINABLE.has(e.info.operation) && !this.closed
        ? () => this.driver.explain(sql, params, e.info).then((p) => p.plan)
        : undefined
    this.insight.recordSlow(sql, e.info.fingerprint, e.info.summary, durationMs, explain)
  }

  private cachedQuery<T>(sql: string, params: Params, options: QueryOptions, e: Entry): Promise<T[]> {
    if (!this.cache.enabled) return this.run(sql, params, e) as Promise<T[]>
    let key: string
    try {
      key = params === EMPTY ? `${this.name}:${sql}` : `${this.name}:${sql}\u0000${JSON.stringify(params)}`
    } catch {
      return this.run(sql, params, e) as Promise<T[]>
    }
    const ttl = typeof options.cache === 'number' ? options.cache : this.cache.defaultTtl
    const tags = options.tags === undefined ? e.tags : [...e.tags, ...options.tags]
    // A miss is published by run() itself; only answers that did not run the query publish `cached`.
    let ran = false
    const factory = () => {
      ran = true
      this.cache.misses++
      return this.run(sql, params, e)
    }
    const cache = this.cache.get()
    this.cache.hits++
    if (cache instanceof Promise) {
      return cache.then((c) => c.getOrSet(key, factory, { ttl, tags })) as Promise<T[]>
    }
    const p = cache.getOrSet(key, factory, { ttl, tags }) as Promise<T[]>
    if (queryChannel.hasSubscribers) {
      return p.then((rows) => {
        if (!ran) queryChannel.publish(this.payload(e, 0, rows.length, true, undefined))
        return rows
      })
    }
    return p
  }

  execute(sql: string, params: Params = EMPTY): Promise<ExecuteResult> {
    if (this.closed) return Promise.reject(new DatabaseClosedError(this.name))
    let e: Entry
    try {
      e = this.entry(sql)
      this.checkParams(e, params)
    } catch (error) {
      return Promise.reject(error)
    }
    // untraced: one async function, as before tracing existed (an extra await level costs ~1 us per write)
    if (!queryTracing.hasSubscribers) return this.executeEntry(sql, params, e)
    return queryTracing.tracePromise(this.executeEntry, this.traceOf(e), this, sql, params, e)
  }

  /** One execute() statement: the driver's write, coded errors, stats, events, query-cache invalidation. */
  private async executeEntry(sql: string, params: Params, e: Entry): Promise<ExecuteResult> {
    const t0 = this.clock.now()
    let res: ExecResult
    try {
      res = await this.driver.write(sql, params, e.info)
    } catch (error) {
      throw this.failed(e, error, t0)
    }
    this.finish(sql, params, e, res, t0)
    if (!e.info.isRead && this.cache.cache !== undefined && e.tags.length > 0) {
      await this.cache.cache.invalidateTags(e.tags).catch(() => {})
    }
    return toExecuteResult(res)
  }

  async transaction<R>(fn: (tx: Transaction) => Promise<R>): Promise<R> {
    if (this.closed) throw new DatabaseClosedError(this.name)
    if (typeof fn !== 'function') check.fail('fn', fn, 'an async function (tx) => result')
    const written = new Set<string>()
    // The callback's own errors pass through untouched; a failing BEGIN / COMMIT (a deferred constraint,
    // a lost connection) is the driver's and gets coded like any statement error.
    let userError: { error: unknown } | undefined
    let result: R
    try {
      result = await this.driver.transaction(async (session) => {
        const exec = (sql: string, params: Params): Promise<ExecResult> => {
          const e = this.entry(sql)
          this.checkParams(e, params)
          return queryTracing.hasSubscribers
            ? queryTracing.tracePromise(runOne, this.traceOf(e), undefined, sql, params, e)
            : runOne(sql, params, e)
        }
        const runOne = async (sql: string, params: Params, e: Entry): Promise<ExecResult> => {
          const t0 = this.clock.now()
          let res: ExecResult
          try {
            res = await session.run(sql, params, e.info)
          } catch (error) {
            throw this.failed(e, error, t0)
          }
          if (!e.info.isRead) for (const t of e.tags) written.add(t)
          const durationMs = this.clock.now() - t0
          e.stats.record(durationMs, res.rowCount, false)
          if (queryChannel.hasSubscribers)
            queryChannel.publish(this.payload(e, durationMs, res.rowCount, false, undefined))
          return res
        }
        const tx: Transaction = {
          query: async <T = Row>(sql: string, params: Params = EMPTY) =>
            (await exec(sql, params)).rows as T[],
          execute: async (sql: string, params: Params = EMPTY) => {
            const r = await exec(sql, params)
            return toExecuteResult(r)
          },
        }
        try {
          return await fn(tx)
        } catch (error) {
          userError = { error }
          throw error
        }
      })
    } catch (error) {
      if ((userError !== undefined && userError.error === error) || isHotpathError(error)) throw error
      throw this.driver.mapError(error, this.entry('COMMIT').info)
    }
    await this.invalidateWritten(written)
    return result
  }

  private async invalidateWritten(tags: Set<string>): Promise<void> {
    if (this.cache.cache !== undefined && tags.size > 0)
      await this.cache.cache.invalidateTags([...tags]).catch(() => {})
  }

  batch(statements: readonly BatchStatement[]): Promise<ExecuteResult[]> {
    if (this.closed) return Promise.reject(new DatabaseClosedError(this.name))
    let list: (Statement & { e: Entry })[]
    try {
      list = this.batchList(statements)
    } catch (error) {
      return Promise.reject(error)
    }
    if (list.length === 0) return Promise.resolve([])
    // untraced: one async function, as before tracing existed
    if (!queryTracing.hasSubscribers) return this.runBatch(list)
    const trace = QueryTrace.ofBatch(
      this.name,
      this.system,
      this.driver.target,
      list.map((s) => s.info),
    )
    return queryTracing.tracePromise(this.runBatch, trace, this, list)
  }

  private batchList(statements: readonly BatchStatement[]): (Statement & { e: Entry })[] {
    if (!Array.isArray(statements)) check.fail('statements', statements, 'an array of statements')
    return statements.map((s: BatchStatement) => {
      const [sql, params] =
        typeof s === 'string'
          ? [s, EMPTY]
          : Array.isArray(s)
            ? [s[0], s[1] ?? EMPTY]
            : [(s as { sql: string }).sql, (s as { params?: Params }).params ?? EMPTY]
      const e = this.entry(sql as string)
      this.checkParams(e, params as Params)
      return { sql: sql as string, params: params as Params, info: e.info, e }
    })
  }

  private async runBatch(list: (Statement & { e: Entry })[]): Promise<ExecuteResult[]> {
    const t0 = this.clock.now()
    let results: ExecResult[]
    try {
      results = await this.driver.batch(list)
    } catch (error) {
      const index = (error as { statementIndex?: number } | null)?.statementIndex ?? 0
      throw this.failed(list[Math.min(index, list.length - 1)]!.e, error, t0, false, list.length)
    }
    const each = (this.clock.now() - t0) / list.length
    const written = new Set<string>()
    const publish = queryChannel.hasSubscribers
    for (let i = 0; i < list.length; i++) {
      const { e } = list[i]!
      const rows = results[i]?.rowCount ?? 0
      e.stats.record(each, rows, false)
      // One message per statement, as stats() counts them (the batch's time shared out evenly).
      if (publish) queryChannel.publish(this.payload(e, each, rows, false, undefined, 0, false, list.length))
      if (!e.info.isRead) for (const t of e.tags) written.add(t)
    }
    await this.invalidateWritten(written)
    return results.map(toExecuteResult)
  }

  async explain(sql: string, params: Params = EMPTY): Promise<Plan> {
    if (this.closed) throw new DatabaseClosedError(this.name)
    const e = this.entry(sql)
    this.checkParams(e, params)
    try {
      return await this.driver.explain(sql, params, e.info)
    } catch (error) {
      throw this.driver.mapError(error, e.info)
    }
  }

  async analyze(sql: string, params: Params = EMPTY): Promise<Analysis> {
    const e = this.entry(sql)
    const findings = staticFindings(sql, params, e.info)
    let plan: unknown
    if (EXPLAINABLE.has(e.info.operation)) {
      const count = this.system === 'postgresql' ? e.info.pgParamCount : e.info.paramCount
      const noValues = Array.isArray(params) && params.length === 0 && count > 0
      let p: Plan
      if (noValues && this.driver.explainGeneric !== undefined) {
        // PostgreSQL: NULLs would fold `col = NULL` away; the generic plan shows the real access path.
        if (this.closed) throw new DatabaseClosedError(this.name)
        p = await this.driver.explainGeneric(sql, e.info, count)
      } else {
        // Placeholders without values on SQLite: EXPLAIN QUERY PLAN needs something to bind; NULLs keep its shape.
        p = await this.explain(sql, noValues ? new Array(count).fill(null) : params)
      }
      plan = p.plan
      findings.push(
        ...scanFindings(e.info, p.fullScans, { system: this.system, likes: likePatterns(sql, params) }),
      )
    }
    for (const n of this.insight.nPlusOne(e.info.fingerprint)) {
      findings.push({
        kind: 'n-plus-one',
        table: e.info.tables[0],
        message:
          `N+1: ${n.count} executions within ${N_PLUS_ONE_WINDOW_MS} ms with ${n.distinct} distinct parameter ` +
          'lists; fetch them in one statement (WHERE id IN (...) / = ANY($1), or a join)',
      })
    }
    return { fingerprint: e.info.fingerprint, findings, plan }
  }

  nPlusOne(): NPlusOne[] {
    return this.insight.nPlusOne()
  }

  slowQueries(): Promise<SlowQuery[]> {
    return this.insight.slowQueries()
  }

  async invalidateTags(tags: string[]): Promise<void> {
    if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string')) {
      check.fail('tags', tags, 'an array of strings')
    }
    const cache = this.cache.cache
    if (cache !== undefined && tags.length > 0) await cache.invalidateTags(tags)
  }

  async ready(options?: ReadyOptions): Promise<void> {
    if (this.closed) throw new DatabaseClosedError(this.name)
    const o = (check.object('options', options, ['timeout']) ?? {}) as ReadyOptions
    const timeout = check.positive('timeout', o.timeout, this.acquireTimeout)
    try {
      await this.driver.ready(timeout)
    } catch (error) {
      if (!isHotpathError(error) || error.code !== 'HOTPATH_DB_ACQUIRE_TIMEOUT') throw error
      const cause = error.cause ?? error
      throw new DbError(
        'HOTPATH_DB_NOT_READY',
        `database "${this.name}" is not ready: no connection within ${Math.round(timeout)} ms` +
          (cause instanceof Error && cause !== error ? ` (${cause.message})` : ''),
        { cause, details: { database: this.name, timeout } },
      )
    }
  }

  stats(): DatabaseStats {
    const checkpoints = this.driver.checkpointStats?.()
    return {
      kind: 'database',
      name: this.name,
      system: this.system,
      pool: this.driver.poolStats(),
      pools: this.driver.pools(),
      queries: this.insight.queries(),
      queryCache: { hits: this.cache.hits - this.cache.misses, misses: this.cache.misses },
      ...(this.driver.pipelineStats === undefined ? {} : { pipeline: this.driver.pipelineStats() }),
      ...(checkpoints === undefined ? {} : { checkpoints }),
    }
  }

  close(): Promise<void> {
    if (this.closePromise === null) {
      this.closed = true
      this.closePromise = (async () => {
        await this.insight.settled()
        await this.driver.close()
        await this.cache.close()
      })()
    }
    return this.closePromise
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}

/** Opens a database on a driver (SQLite in memory by default). */
export function createDatabase(options: DatabaseOptions = {}): Database {
  return new DatabaseImpl(options)
}
