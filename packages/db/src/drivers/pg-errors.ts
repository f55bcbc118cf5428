// pg errors to coded QueryErrors that keep the SQLSTATE.
import { isHotpathError } from '@hotpath/core'
import { type DbErrorCode, QueryError } from '../errors.ts'

/** True for errors after which the connection must not be reused. */
export function isConnectionError(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null
  if (e === null || typeof e !== 'object') return false
  const code = typeof e.code === 'string' ? e.code : ''
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return true
  if (/^E[A-Z]+$/.test(code)) return true // ECONNRESET, EPIPE, ECONNREFUSED
  const message = typeof e.message === 'string' ? e.message : ''
  return /Connection terminated|Client has encountered a connection error|not queryable|connection is closed/i.test(
    message,
  )
}

/** 0A000 after a schema change: a prepared statement's cached plan returns other columns now. */
export const isStalePlan = (error: unknown): boolean =>
  (error as { code?: unknown } | null)?.code === '0A000' &&
  /cached plan must not change result type/.test(String((error as Error).message))

/** 26000: the connection has no such prepared statement (pg believed it was parsed): prepare it again. */
export const isMissingStatement = (error: unknown): boolean =>
  (error as { code?: unknown } | null)?.code === '26000'

export function mapPgError(error: unknown, fingerprint: string): Error {
  if (error instanceof QueryError || isHotpathError(error)) return error as Error
  const e = error as { code?: unknown; message?: unknown }
  const message = typeof e?.message === 'string' ? e.message : String(error)
  const sqlState = typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined
  let code: DbErrorCode = 'HOTPATH_DB_QUERY'
  if (sqlState === '42601') code = 'HOTPATH_DB_SYNTAX'
  else if (sqlState === '08P01' && /bind message supplies/.test(message)) code = 'HOTPATH_DB_PARAMETER_COUNT'
  else if (sqlState === '57014') code = 'HOTPATH_DB_STATEMENT_TIMEOUT'
  else if (sqlState?.startsWith('23')) code = 'HOTPATH_DB_CONSTRAINT'
  else if (sqlState?.startsWith('22')) code = 'HOTPATH_DB_BIND'
  else if (isConnectionError(error)) code = 'HOTPATH_DB_CONNECTION'
  // Client-side failures without SQLSTATE that are not connection losses: values pg cannot serialise.
  else if (sqlState === undefined && !/timeout/i.test(message)) code = 'HOTPATH_DB_BIND'
  return new QueryError(code, message, fingerprint, sqlState, error)
}
