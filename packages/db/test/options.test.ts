import { HotpathError } from '@hotpath/core'
import { describe, expect, it } from 'vitest'
import { createDatabase, InvalidOptionError, postgres, sqlite } from '../src/index.ts'
import * as poolOnly from '../src/pool-entry.ts'

/** `fn` throws core's InvalidOptionError with the package code, naming `option`, in the one message shape. */
const invalid = (fn: () => unknown, option: string) => {
  expect(fn).toThrow(InvalidOptionError)
  expect(fn).toThrow(HotpathError)
  expect(fn).toThrow(
    expect.objectContaining({
      code: 'HOTPATH_DB_INVALID_OPTION',
      details: expect.objectContaining({ option }),
      message: expect.stringMatching(
        new RegExp(`^invalid option "${option.replace('.', '\\.')}": received .*, expected `),
      ),
    }),
  )
}

describe('option validation', () => {
  it('validates driver options at construction', () => {
    invalid(() => postgres({ connectionString: 'mysql://x' }), 'connectionString')
    invalid(() => postgres({ statementTimeout: -1 }), 'statementTimeout')
    invalid(() => postgres({ prepare: 'yes' as never }), 'prepare')
    invalid(() => postgres({ connectTimeout: 0 }), 'connectTimeout')
    invalid(() => postgres({ applicationName: 5 as never }), 'applicationName')
    invalid(() => postgres({ statementTimeoutMs: 5 } as never), 'options.statementTimeoutMs')
    invalid(() => sqlite({ filename: 42 as never }), 'filename')
    invalid(() => sqlite({ readers: { connections: 0 } }), 'readers.connections')
    invalid(() => sqlite({ readers: { threads: -1 } }), 'readers.threads')
    invalid(() => sqlite({ statementCacheSize: 1.5 }), 'statementCacheSize')
  })

  it('validates database and pool options; unknown drivers are coded errors', () => {
    invalid(() => createDatabase({ pool: { max: 0 } }), 'max')
    invalid(() => createDatabase({ pool: { acquireTimeout: -5 } }), 'acquireTimeout')
    invalid(() => createDatabase({ pool: { name: 'x' } as never }), 'pool.name')
    invalid(() => createDatabase({ name: '' }), 'name')
    invalid(() => createDatabase({ explainSlowQueries: 1 as never }), 'explainSlowQueries')
    invalid(() => createDatabase({ slowQueryThreshold: -1 }), 'slowQueryThreshold')
    invalid(() => createDatabase({ slowQueryMs: 10 } as never), 'options.slowQueryMs') // renamed
    invalid(() => createDatabase({ clock: Date } as never), 'clock')
    invalid(() => createDatabase({ queryCache: { ttl: -5 } }), 'queryCache.ttl')
    invalid(() => createDatabase({ queryCache: 'yes' as never }), 'queryCache')
    expect(() => createDatabase({ driver: { kind: 'nope' } as never })).toThrow(
      expect.objectContaining({ code: 'HOTPATH_DB_UNKNOWN_DRIVER' }),
    )
    expect(() => createDatabase({ driver: 'mysql' as never })).toThrow(
      expect.objectContaining({ code: 'HOTPATH_DB_UNKNOWN_DRIVER' }),
    )
  })

  it('rejects invalid statements and parameters with coded errors', async () => {
    await using db = createDatabase()
    await expect(db.query('')).rejects.toMatchObject({ code: 'HOTPATH_DB_INVALID_OPTION' })
    await expect(db.query('select ?', 5 as never)).rejects.toMatchObject({ code: 'HOTPATH_DB_BIND' })
    await expect(db.batch('select 1' as never)).rejects.toMatchObject({ code: 'HOTPATH_DB_INVALID_OPTION' })
    await expect(db.transaction('nope' as never)).rejects.toMatchObject({ code: 'HOTPATH_DB_INVALID_OPTION' })
    await expect(db.invalidateTags('x' as never)).rejects.toMatchObject({ code: 'HOTPATH_DB_INVALID_OPTION' })
    expect(await db.batch([])).toEqual([])
    expect(await db.query('select ? as v', [7])).toEqual([{ v: 7 }])
  })

  it('exports the pool on its own subpath', () => {
    expect(typeof poolOnly.createPool).toBe('function')
    expect(Object.keys(poolOnly)).not.toContain('createDatabase')
  })
})
