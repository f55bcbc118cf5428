// Auto-pipelining of autocommit reads on PostgreSQL: every read joins a queue; once per tick (after the
// callers' microtasks have drained) the queue is sent on idle connections, up to maxDepth statements per
// socket write, each with its own Sync (own implicit transaction: an error fails only its statement).
import { AbortedError, QueryError } from '../errors.ts'
import type { SqlInfo } from '../fingerprint.ts'
import type { Lease } from '../pool-types.ts'
import { isConnectionError, isMissingStatement, isStalePlan } from './pg-errors.ts'
import { AutoPipelineQuery, type PipelinedStatement } from './pg-pipeline.ts'
import type { Conn, PgModule } from './pg-types.ts'
import type { ExecResult, PipelineStats } from './types.ts'

/** What the pipeline needs of the driver that owns the pool. */
export interface PipelineHost {
  readonly poolName: string
  /** The loaded pg module (a lease exists, so a connection was made). */
  pgModule(): PgModule
  now(): number
  tryAcquire(): Lease<Conn> | undefined
  acquireThen(onLease: (lease: Lease<Conn>) => void, onError: (error: unknown) => void): void
  /** The prepared statement name of `sql` (undefined: send it unnamed). */
  statementName(sql: string, info: SqlInfo): string | undefined
  /** Forgets `name` for `sql` (it is prepared again under a fresh name next time). */
  forgetStatement(sql: string, name: string): void
  /** One statement on its own on a lease (an abort cancels it on the server). */
  execOn(
    lease: Lease<Conn>,
    sql: string,
    params: unknown[],
    info: SqlInfo,
    resolve: (result: ExecResult | Promise<ExecResult>) => void,
    reject: (error: unknown) => void,
    signal: AbortSignal | undefined,
  ): void
  /** One statement on its own, on a lease of its own: the retry of a pipelined read. */
  retry(sql: string, params: unknown[], info: SqlInfo, signal: AbortSignal | undefined): Promise<ExecResult>
  /** Releases a lease, or destroys it after a connection error. */
  settle(lease: Lease<Conn>, error: unknown): void
}

/** A read waiting in the queue (or sent in a pipeline and not yet answered). */
interface Queued {
  sql: string
  params: unknown[]
  info: SqlInfo
  resolve: (result: ExecResult | Promise<ExecResult>) => void
  /** `pipelined`: it had been sent in a pipeline (a retry, or a read sent alone, says nothing). */
  reject: (error: unknown, pipelined?: boolean) => void
  signal: AbortSignal | undefined
  onAbort: (() => void) | undefined
  state: 'queued' | 'sent' | 'done'
  /** The prepared statement name it was sent under (undefined: unnamed). */
  name: string | undefined
  /** Its execution time on the server (from the previous answer, or the write, to its own). */
  execMs: number
}

const DEPTH_BUCKETS = ['1', '2-3', '4-7', '8-15', '16-31', '32+'] as const
const depthBucket = (n: number): (typeof DEPTH_BUCKETS)[number] =>
  DEPTH_BUCKETS[Math.min(DEPTH_BUCKETS.length - 1, 31 - Math.clz32(n))]!

export class AutoPipeline {
  private readonly host: PipelineHost
  private readonly maxDepth: number
  private readonly queue: Queued[] = []
  /** Leases asked for on behalf of the queue and not yet lent. */
  private requested = 0
  /** A dispatch of the queue is scheduled for the end of this tick. */
  private scheduled = false
  private readonly st: PipelineStats

  constructor(host: PipelineHost, maxDepth: number) {
    this.host = host
    this.maxDepth = maxDepth
    this.st = {
      enabled: true,
      maxDepth,
      statements: 0,
      flushes: 0,
      maxDepthSeen: 0,
      depths: Object.fromEntries(DEPTH_BUCKETS.map((b) => [b, 0])),
    }
  }

  stats(): PipelineStats {
    return { ...this.st, depths: { ...this.st.depths } }
  }

  read(sql: string, params: unknown[], info: SqlInfo, signal: AbortSignal | undefined): Promise<ExecResult> {
    return new Promise((resolve, reject) => this.enqueue(sql, params, info, signal, resolve, reject))
  }

  /** read() without a promise of its own: the caller's promise settles one microtask hop earlier. */
  readThen(
    sql: string,
    params: unknown[],
    info: SqlInfo,
    signal: AbortSignal | undefined,
    onResult: (result: ExecResult) => void,
    onError: (error: unknown, pipelined?: boolean) => void,
  ): void {
    // A retried read settles later, through the retry's promise.
    const resolve = (r: ExecResult | Promise<ExecResult>): void => {
      if (r instanceof Promise) r.then(onResult, onError)
      else onResult(r)
    }
    this.enqueue(sql, params, info, signal, resolve, onError)
  }

  private enqueue(
    sql: string,
    params: unknown[],
    info: SqlInfo,
    signal: AbortSignal | undefined,
    resolve: (result: ExecResult | Promise<ExecResult>) => void,
    reject: (error: unknown, pipelined?: boolean) => void,
  ): void {
    const q: Queued = {
      sql,
      params,
      info,
      resolve,
      reject,
      signal,
      onAbort: undefined,
      state: 'queued',
      name: undefined,
      execMs: 0,
    }
    if (signal !== undefined) {
      q.onAbort = () => this.abortQueued(q)
      signal.addEventListener('abort', q.onAbort, { once: true })
    }
    this.queue.push(q)
    if (!this.scheduled) {
      // Scheduled from the caller's microtask, a tick runs once the microtask queue has drained: the
      // reads of every caller resumed by the same answer are queued by then and go out in one write.
      this.scheduled = true
      process.nextTick(this.dispatch)
    }
  }

  /** Sends the queue on the idle connections (maxDepth each); what is left waits for leases. */
  private readonly dispatch = (): void => {
    this.scheduled = false
    while (this.queue.length > 0) {
      const lease = this.host.tryAcquire()
      if (lease === undefined) break
      this.flush(lease)
    }
    if (this.queue.length > 0) this.requestLeases()
  }

  /** One lease per maxDepth queued reads (FIFO with every other acquire of the pool). */
  private requestLeases(): void {
    while (this.requested * this.maxDepth < this.queue.length) {
      this.requested++
      this.host.acquireThen(
        (lease) => {
          this.requested--
          this.flush(lease)
        },
        (error) => {
          this.requested--
          // The oldest queued reads waited as long as this acquire did: they get its error.
          for (const q of this.queue.splice(0, this.maxDepth)) this.settle(q, error, undefined)
        },
      )
    }
  }

  /**
   * An aborted read fails at once. Queued: it leaves the queue. Sent: its answer is dropped when it comes
   * (no pg_cancel_backend: that would cancel whichever statement of the pipeline runs at that moment).
   */
  private abortQueued(q: Queued): void {
    if (q.state === 'done') return
    const sent = q.state === 'sent'
    if (!sent) {
      const i = this.queue.indexOf(q)
      if (i !== -1) this.queue.splice(i, 1)
    }
    q.state = 'done'
    q.reject(new AbortedError(this.host.poolName, q.signal!.reason), sent)
  }

  private settle(q: Queued, error: unknown, result: ExecResult | undefined): void {
    if (q.onAbort !== undefined) q.signal!.removeEventListener('abort', q.onAbort)
    if (q.state === 'done') return
    const sent = q.state === 'sent'
    q.state = 'done'
    if (error === undefined) q.resolve(result!)
    else if (isConnectionError(error)) q.resolve(this.host.retry(q.sql, q.params, q.info, q.signal))
    else if (q.name !== undefined && (isStalePlan(error) || isMissingStatement(error))) {
      // A stale plan after a schema change, or a name whose Parse failed earlier in the same pipeline:
      // prepared again under a fresh name, once (the statement did not run).
      this.host.forgetStatement(q.sql, q.name)
      q.resolve(this.host.retry(q.sql, q.params, q.info, q.signal))
    } else q.reject(error, sent)
  }

  /** Sends up to maxDepth queued reads on one connection in one write, a Sync after each. */
  private flush(lease: Lease<Conn>): void {
    const host = this.host
    const only = this.queue.length === 1 ? this.queue[0]! : undefined
    if (only?.signal !== undefined) {
      // Alone on its connection: sent on its own, so that an abort can cancel it on the server.
      this.queue.length = 0
      only.state = 'done'
      only.signal.removeEventListener('abort', only.onAbort!)
      host.execOn(lease, only.sql, only.params, only.info, only.resolve, only.reject, only.signal)
      return
    }
    const pg = host.pgModule()
    const batch = this.queue.splice(0, this.maxDepth)
    const statements: PipelinedStatement[] = []
    const sent: Queued[] = []
    for (const q of batch) {
      let values: unknown[]
      try {
        values = q.params.map((v) => pg.utils.prepareValue(v))
      } catch (error) {
        const message = `Cannot bind a parameter: ${(error as Error).message}`
        this.settle(
          q,
          new QueryError('HOTPATH_DB_BIND', message, q.info.fingerprint, undefined, error),
          undefined,
        )
        continue
      }
      q.state = 'sent'
      q.name = host.statementName(q.sql, q.info)
      sent.push(q)
      statements.push({ sql: q.sql, values, name: q.name })
    }
    const n = sent.length
    if (n === 0) {
      lease.release()
      if (this.queue.length > 0) this.requestLeases()
      return
    }
    const st = this.st
    st.flushes++
    st.statements += n
    if (n > st.maxDepthSeen) st.maxDepthSeen = n
    st.depths[depthBucket(n)]!++
    new Flight(this, host, lease, sent, statements)
  }

  /** A pipeline ended (every statement answered, or its connection failed): the lease goes back. */
  landed(lease: Lease<Conn>, connError: unknown): void {
    this.host.settle(lease, connError)
    if (this.queue.length > 0) this.requestLeases()
  }

  deliver(q: Queued, error: unknown, result: ExecResult | undefined): void {
    this.settle(q, error, result)
  }
}

/** One pipeline in flight on a connection: times each answer as it comes, hands results over in order. */
class Flight {
  private readonly pipeline: AutoPipeline
  private readonly host: PipelineHost
  private readonly lease: Lease<Conn>
  private readonly sent: Queued[]
  private lastAnswerAt: number
  private connError: unknown = undefined

  constructor(
    pipeline: AutoPipeline,
    host: PipelineHost,
    lease: Lease<Conn>,
    sent: Queued[],
    statements: PipelinedStatement[],
  ) {
    this.pipeline = pipeline
    this.host = host
    this.lease = lease
    this.sent = sent
    const conn = lease.resource
    this.lastAnswerAt = host.now()
    conn.busySince = this.lastAnswerAt
    conn.busyWith = sent[0]!.info.fingerprint
    const query = new AutoPipelineQuery(statements, host.pgModule().types, conn.client, this)
    ;(conn.client as unknown as { query(q: unknown): unknown }).query(query)
  }

  /** Statement `i` answered: the next one runs from now (and the stuck-query sweep times it from here). */
  answered(i: number): void {
    const t = this.host.now()
    this.sent[i]!.execMs = t - this.lastAnswerAt
    this.lastAnswerAt = t
    const conn = this.lease.resource
    conn.busySince = t
    conn.busyWith = this.sent[i + 1]?.info.fingerprint ?? null
  }

  /** Hands statement `i`'s outcome to its caller (perhaps held a little, so answers go out together). */
  done(i: number, error: unknown, result: ExecResult | undefined): void {
    const q = this.sent[i]!
    // Execution time as the server spent it, whatever time the result was held for.
    if (result !== undefined) {
      result.startedAt = this.host.now() - q.execMs
      result.pipelined = true
    }
    if (error !== undefined && isConnectionError(error)) this.connError = error
    this.pipeline.deliver(q, error, result)
  }

  end(): void {
    this.lease.resource.busyWith = null
    this.pipeline.landed(this.lease, this.connError)
  }
}
