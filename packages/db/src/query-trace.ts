// The context object of one traced statement (see DbQueryTraceContext in channels.ts). Built only while the
// tracing channel has subscribers; the end-of-statement fields read what Node puts on it (result / error).
import type { DbQueryTraceContext } from './channels.ts'
import type { DbSystem, DbTarget } from './drivers/types.ts'
import type { SqlInfo } from './fingerprint.ts'

/** What a trace needs of a statement (a batch makes one of its statements). */
type TracedInfo = Pick<SqlInfo, 'operation' | 'tables' | 'summary' | 'fingerprint'>

export class QueryTrace implements DbQueryTraceContext {
  readonly database: string
  readonly system: DbSystem
  readonly namespace: string
  readonly serverAddress?: string
  readonly serverPort?: number
  readonly operation: string
  readonly collection?: string
  readonly summary: string
  readonly fingerprint: string
  /** The expectation at `start`; database.ts corrects it to how the statement was really sent. */
  pipelined: boolean
  readonly batchSize?: number
  result?: unknown
  error?: unknown

  constructor(
    database: string,
    system: DbSystem,
    target: DbTarget,
    info: TracedInfo,
    pipelined: boolean,
    batchSize?: number,
  ) {
    this.database = database
    this.system = system
    this.namespace = target.namespace
    if (target.serverAddress !== undefined) this.serverAddress = target.serverAddress
    if (target.serverPort !== undefined) this.serverPort = target.serverPort
    this.operation = info.operation
    if (info.tables.length === 1) this.collection = info.tables[0]
    this.summary = info.summary
    this.fingerprint = info.fingerprint
    this.pipelined = pipelined
    if (batchSize !== undefined) this.batchSize = batchSize
  }

  /**
   * One trace for a db.batch(): operation `BATCH INSERT` when every statement has that operation (else
   * `BATCH`), the table when they all name the same one, the distinct fingerprints joined by `; `.
   */
  static ofBatch(database: string, system: DbSystem, target: DbTarget, infos: SqlInfo[]): QueryTrace {
    const first = infos[0] as SqlInfo
    const sameOp = infos.every((i) => i.operation === first.operation)
    const operation = sameOp ? `BATCH ${first.operation}` : 'BATCH'
    const table = first.tables.length === 1 ? first.tables[0] : undefined
    const sameTable =
      table !== undefined && infos.every((i) => i.tables.length === 1 && i.tables[0] === table)
    const info: TracedInfo = {
      operation,
      tables: sameTable ? [table] : [],
      summary: sameTable ? `${operation} ${table}` : operation,
      fingerprint: [...new Set(infos.map((i) => i.fingerprint))].join('; '),
    }
    return new QueryTrace(database, system, target, info, false, infos.length)
  }

  get rows(): number {
    const r = this.result
    // a batch resolves with one ExecuteResult per statement
    if (this.batchSize !== undefined && Array.isArray(r))
      return r.reduce((n: number, x: { rowCount?: number }) => n + (x.rowCount ?? 0), 0)
    if (Array.isArray(r)) return r.length
    const count = (r as { rowCount?: unknown } | undefined)?.rowCount
    return typeof count === 'number' ? count : 0
  }

  get sqlState(): string | undefined {
    const s = (this.error as { sqlState?: unknown } | undefined)?.sqlState
    return typeof s === 'string' ? s : undefined
  }
}
