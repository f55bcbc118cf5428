// One error identity: the README's error table and src/error-codes.ts list the same codes, and what
// the package really throws is a coded HotpathError of @hotpath/core with a code from that registry.
import { HotpathError, InvalidOptionError as CoreInvalidOptionError, isHotpathError } from '@hotpath/core'
import { readmeErrorCodes } from '@hotpath/test-helpers'
import { describe, expect, it } from 'vitest'
import {
  AcquireTimeoutError,
  createDatabase,
  createPool,
  DatabaseClosedError,
  DbError,
  DriverMissingError,
  errorCodes,
  InvalidOptionError,
  LeaseReleasedError,
  PoolClosedError,
  PoolQueueFullError,
  QueryError,
  UnknownDriverError,
} from '../src/index.ts'
import * as poolOnly from '../src/pool-entry.ts'

const registry = Object.keys(errorCodes).sort()

/** Checks the house rules on one error and returns it. */
function coded(error: unknown, code: string): HotpathError {
  expect(error).toBeInstanceOf(HotpathError)
  expect(isHotpathError(error)).toBe(true)
  expect(registry).toContain((error as HotpathError).code)
  expect((error as HotpathError).code).toBe(code)
  return error as HotpathError
}

describe('error registry', () => {
  it('README ## Errors table lists exactly the registry codes', () => {
    const documented = readmeErrorCodes(new URL('../README.md', import.meta.url))
    expect(documented).toEqual(registry)
    for (const [code, when] of Object.entries(errorCodes)) {
      expect(code).toMatch(/^HOTPATH_DB_[A-Z_]+$/)
      expect(when.length).toBeGreaterThan(10)
    }
  })

  it('re-exports the one InvalidOptionError / HotpathError of @hotpath/core', () => {
    expect(InvalidOptionError).toBe(CoreInvalidOptionError)
    expect(poolOnly.HotpathError).toBe(HotpathError)
    expect(poolOnly.errorCodes).toBe(errorCodes)
  })

  it('every error class is a named, coded HotpathError', () => {
    const errors: [HotpathError, string, string][] = [
      [new UnknownDriverError('mysql'), 'UnknownDriverError', 'HOTPATH_DB_UNKNOWN_DRIVER'],
      [new DriverMissingError('pg', new Error('x')), 'DriverMissingError', 'HOTPATH_DB_DRIVER_MISSING'],
      [new PoolClosedError('p'), 'PoolClosedError', 'HOTPATH_DB_POOL_CLOSED'],
      [
        new AcquireTimeoutError('p', 5, undefined, { size: 1, idle: 0, used: 1, waiting: 1 }),
        'AcquireTimeoutError',
        'HOTPATH_DB_ACQUIRE_TIMEOUT',
      ],
      [new PoolQueueFullError('p', 2), 'PoolQueueFullError', 'HOTPATH_DB_POOL_QUEUE_FULL'],
      [new LeaseReleasedError('p'), 'LeaseReleasedError', 'HOTPATH_DB_LEASE_RELEASED'],
      [new DatabaseClosedError('db'), 'DatabaseClosedError', 'HOTPATH_DB_CLOSED'],
      [new QueryError('HOTPATH_DB_SYNTAX', 'bad', 'selec ?'), 'QueryError', 'HOTPATH_DB_SYNTAX'],
      [new DbError('HOTPATH_DB_WORKER', 'died'), 'DbError', 'HOTPATH_DB_WORKER'],
    ]
    for (const [error, name, code] of errors) {
      coded(error, code)
      expect(error.name).toBe(name)
    }
  })

  it('what the package throws is coded: options, pool, database, statements, finished transactions', async () => {
    coded(
      (() => {
        try {
          createPool({ create: () => 1, max: 0 })
        } catch (error) {
          return error
        }
      })(),
      'HOTPATH_DB_INVALID_OPTION',
    )
    expect(() => createPool({ create: () => 1, max: 0 })).toThrow(CoreInvalidOptionError)
    expect(() => createDatabase({ slowQueryMs: 5 } as never)).toThrow(
      expect.objectContaining({
        code: 'HOTPATH_DB_INVALID_OPTION',
        message: expect.stringMatching(/slowQueryMs/),
      }),
    )
    const pool = createPool({ create: () => ({}), min: 1, max: 1, maxWaiting: 0 })
    await pool.ready()
    const lease = await pool.acquire()
    coded(await pool.acquire().catch((e: unknown) => e), 'HOTPATH_DB_POOL_QUEUE_FULL')
    lease.release()
    coded(
      (() => {
        try {
          lease.release()
        } catch (error) {
          return error
        }
      })(),
      'HOTPATH_DB_LEASE_RELEASED',
    )
    await pool.close()
    coded(await pool.acquire().catch((e: unknown) => e), 'HOTPATH_DB_POOL_CLOSED')

    const db = createDatabase()
    coded(await db.query('selec 1').catch((e: unknown) => e), 'HOTPATH_DB_SYNTAX')
    let escaped: { query(sql: string): Promise<unknown> } | undefined
    await db.transaction(async (tx) => {
      escaped = tx
    })
    const late = coded(
      await escaped!.query('select 1').catch((e: unknown) => e),
      'HOTPATH_DB_TRANSACTION_FINISHED',
    )
    expect(late).toBeInstanceOf(DbError)
    await db.close()
    coded(await db.query('select 1').catch((e: unknown) => e), 'HOTPATH_DB_CLOSED')
  })
})
