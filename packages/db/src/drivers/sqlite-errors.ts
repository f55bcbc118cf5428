// node:sqlite errors to coded QueryErrors.
import { isHotpathError } from '@hotpath/core'
import { type DbErrorCode, QueryError } from '../errors.ts'

export function mapSqliteError(error: unknown, fingerprint: string): Error {
  if (error instanceof QueryError || isHotpathError(error)) return error as Error
  const e = error as { code?: string; errcode?: number; message?: string }
  const message = typeof e?.message === 'string' ? e.message : String(error)
  let code: DbErrorCode = 'HOTPATH_DB_QUERY'
  if (/cannot be bound|named parameter/i.test(message)) {
    code = 'HOTPATH_DB_BIND'
  } else if (typeof e?.errcode === 'number') {
    const primary = e.errcode & 0xff
    if (primary === 19) code = 'HOTPATH_DB_CONSTRAINT'
    else if (primary === 5 || primary === 6) code = 'HOTPATH_DB_BUSY'
    else if (primary === 25) code = 'HOTPATH_DB_PARAMETER_COUNT'
    else if (primary === 1 && /syntax error|incomplete input|unrecognized token/i.test(message))
      code = 'HOTPATH_DB_SYNTAX'
  } else if (
    typeof (e as { code?: unknown })?.code === 'string' &&
    (e as { code: string }).code.startsWith('HOTPATH_DB_')
  ) {
    code = (e as { code: DbErrorCode }).code
  }
  return new QueryError(code, message, fingerprint, undefined, error)
}
