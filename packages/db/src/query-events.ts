// The hotpath:db:query / :slow-query payload of one statement (see channels.ts for the contract).
import type { DbQueryEvent } from './channels.ts'
import type { DbSystem, DbTarget } from './drivers/types.ts'
import type { SqlInfo } from './fingerprint.ts'

export function queryEvent(
  database: string,
  system: DbSystem,
  target: DbTarget,
  info: SqlInfo,
  durationMs: number,
  waitMs: number,
  rows: number,
  cached: boolean,
  error: Error | undefined,
  pipelined: boolean,
  batchSize: number | undefined,
): DbQueryEvent {
  const p: DbQueryEvent = {
    database,
    system,
    namespace: target.namespace,
    operation: info.operation,
    fingerprint: info.fingerprint,
    summary: info.summary,
    durationMs,
    waitMs,
    rows,
    cached,
    pipelined,
  }
  if (batchSize !== undefined) p.batchSize = batchSize
  if (target.serverAddress !== undefined) p.serverAddress = target.serverAddress
  if (target.serverPort !== undefined) p.serverPort = target.serverPort
  if (error !== undefined) {
    const code = (error as { code?: string }).code ?? 'HOTPATH_DB_QUERY'
    const sqlState = (error as { sqlState?: unknown }).sqlState
    p.error =
      typeof sqlState === 'string'
        ? { code, message: error.message, sqlState }
        : { code, message: error.message }
  }
  return p
}
