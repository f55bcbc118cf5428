// `pg` not installed: the first statement fails at once with the coded DriverMissingError.
import { HotpathError } from '@hotpath/core'
import { describe, expect, it, vi } from 'vitest'
import { createDatabase, postgres } from '../src/index.ts'

vi.mock('pg', () => {
  throw Object.assign(new Error("Cannot find package 'pg'"), { code: 'ERR_MODULE_NOT_FOUND' })
})

describe('missing pg', () => {
  it('is an immediate HOTPATH_DB_DRIVER_MISSING, not an acquire timeout', async () => {
    const db = createDatabase({
      driver: postgres({ connectionString: 'postgres://postgres@127.0.0.1:1/x' }),
      pool: { failFast: false },
    })
    const t0 = performance.now()
    const error = (await db.query('SELECT 1').catch((e: unknown) => e)) as HotpathError
    expect(error).toBeInstanceOf(HotpathError)
    expect(error.code).toBe('HOTPATH_DB_DRIVER_MISSING')
    expect(performance.now() - t0).toBeLessThan(10_000) // acquireTimeout is 30 s
    await db.close()
  })
})
