// The parameters of a statement, checked before it goes to a driver.
import type { DbSystem, Params } from './drivers/types.ts'
import { QueryError } from './errors.ts'
import type { SqlInfo } from './fingerprint.ts'

/** Throws the coded error for a parameter count that does not match the SQL, or parameters of the wrong kind. */
export function checkParams(system: DbSystem, info: SqlInfo, params: Params): void {
  // On PostgreSQL `?`, `?|`, `?&` are jsonb operators: only `$n` are parameters.
  const expected = system === 'postgresql' ? info.pgParamCount : info.paramCount
  if (expected >= 0 && Array.isArray(params) && params.length !== expected) {
    throw new QueryError(
      'HOTPATH_DB_PARAMETER_COUNT',
      `Expected ${expected} parameter${expected === 1 ? '' : 's'}, received ${params.length}`,
      info.fingerprint,
    )
  }
  if (params === null || typeof params !== 'object') {
    throw new QueryError(
      'HOTPATH_DB_BIND',
      'Parameters must be an array (or an object of named parameters on SQLite)',
      info.fingerprint,
    )
  }
}
