import { describe, expect, it } from 'vitest'
import { createDatabase, isHotpathError, postgres, sqlite } from '../src/index.ts'
import * as poolOnly from '../src/pool-entry.ts'

const invalid = (fn: () => unknown, option: RegExp) => {
  let caught: unknown
  try {
    fn()
  } catch (error) {
    caught = error
  }
  expect(isHotpathError(caught)).toBe(true)
  expect(caught).toMatchObject({ code: 'HOTPATH_DB_INVALID_OPTION' })
  expect((caught as Error).message).toMatch(option)
  expect((caught as Error).message).toMatch(/received .*, expected /)
}

describe('option validation', () => {
  it('validates driver options at construction', () => {
    invalid(() => postgres({ connectionString: 'mysql://x' }), /"connectionString"/)
    invalid(() => postgres({ statementTimeout: -1 }), /"statementTimeout"/)
    invalid(() => postgres({ prepare: 'yes' as never }), /"prepare"/)
    invalid(() => postgres({ connectTimeout: 0 }), /"connectTimeout"/)
    invalid(() => sqlite({ filename: 42 as never }), /"filename"/)
    invalid(() => sqlite({ readers: { connections: 0 } }), /"readers.connections"/)
    invalid(() => sqlite({ statementCacheSize: 1.5 }), /"statementCacheSize"/)
  })

  it('validates database and pool options; unknown drivers are coded errors', () => {
    invalid(() => createDatabase({ pool: { max: 0 } }), /"max"/)
    invalid(() => createDatabase({ pool: { acquireTimeout: -5 } }), /"acquireTimeout"/)
    invalid(() => createDatabase({ name: '' }), /"name"/)
    invalid(() => createDatabase({ explainSlowQueries: 1 as never }), /"explainSlowQueries"/)
    expect(() => createDatabase({ driver: { kind: 'nope' } as never })).toThrow(
      expect.objectContaining({ code: 'HOTPATH_DB_UNKNOWN_DRIVER' }),
    )
  })

  it('rejects invalid statements and parameters with coded errors', async () => {
    await using db = createDatabase()
    await expect(db.query('')).rejects.toMatchObject({ code: 'HOTPATH_DB_INVALID_OPTION' })
    await expect(db.query('select ?', 5 as never)).rejects.toMatchObject({ code: 'HOTPATH_DB_BIND' })
    await expect(db.batch('select 1' as never)).rejects.toMatchObject({ code: 'HOTPATH_DB_INVALID_OPTION' })
    await expect(db.transaction('nope' as never)).rejects.toMatchObject({ code: 'HOTPATH_DB_INVALID_OPTION' })
    await expect(db.invalidate('x' as never)).rejects.toMatchObject({ code: 'HOTPATH_DB_INVALID_OPTION' })
    expect(await db.batch([])).toEqual([])
    expect(await db.query('select ? as v', [7])).toEqual([{ v: 7 }])
  })

  it('exports the pool on its own subpath', () => {
    expect(typeof poolOnly.createPool).toBe('function')
    expect(Object.keys(poolOnly)).not.toContain('createDatabase')
  })
})
