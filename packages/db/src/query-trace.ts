// The context object of one traced statement (see DbQueryTraceContext in channels.ts). Built only while the
// tracing channel has subscribers; the end-of-statement fields read what Node puts on it (result / error).
import type { DbQueryTraceContext } from './channels.ts'
import type { DbSystem, DbTarget } from './drivers/types.ts'
import type { SqlInfo } from './fingerprint.ts'

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
  readonly pipelined: boolean
  result?: unknown
  error?: unknown

  constructor(database: string, system: DbSystem, target: DbTarget, info: SqlInfo, pipelined: boolean) {
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
  }

  get rows(): number {
    const r = this.result
    if (Array.isArray(r)) return r.length
    const count = (r as { rowCount?: unknown } | undefined)?.rowCount
    return typeof count === 'number' ? count : 0
  }

  get sqlState(): string | undefined {
    const s = (this.error as { sqlState?: unknown } | undefined)?.sqlState
    return typeof s === 'string' ? s : undefined
  }
}
