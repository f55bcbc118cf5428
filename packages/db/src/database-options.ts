// What createDatabase accepts: its option keys, the pool settings it passes on, the driver it opens.
import type { DatabaseOptions } from './database-types.ts'
import { postgres } from './drivers/postgres.ts'
import { sqlite } from './drivers/sqlite.ts'
import type { Driver } from './drivers/types.ts'
import { UnknownDriverError } from './errors.ts'
import { POOL_OPTION_KEYS } from './pool-options.ts'

/** Every option createDatabase knows (an unknown key, e.g. a renamed one, throws). */
export const DATABASE_OPTION_KEYS: readonly string[] = [
  'name',
  'driver',
  'pool',
  'queryCache',
  'slowQueryThreshold',
  'explainSlowQueries',
  'clock',
]

/** The pool options a database passes to its driver's pools (name, create, destroy, validate, clock are its own). */
export const POOL_SETTING_KEYS: readonly string[] = POOL_OPTION_KEYS.filter(
  (k) => !['name', 'create', 'destroy', 'validate', 'clock'].includes(k),
)

/** The `driver` option as a Driver: SQLite in memory by default, `'postgres'`, or a driver object. */
export function resolveDriver(driver: DatabaseOptions['driver']): Driver {
  if (driver === undefined || driver === 'sqlite') return sqlite()
  if (driver === 'postgres' || driver === 'postgresql') return postgres()
  if (typeof driver === 'object' && driver !== null && (driver as Driver).kind === 'hotpath-db-driver')
    return driver
  throw new UnknownDriverError(driver)
}
