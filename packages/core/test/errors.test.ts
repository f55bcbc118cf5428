import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { HotpathError, InvalidOptionError, isHotpathError, nameErrorClass } from '../src/index.ts'

class PoolClosedError extends HotpathError {
  constructor() {
    super('HOTPATH_TEST_CLOSED', 'closed')
  }
  static {
    nameErrorClass(PoolClosedError, 'PoolClosedError')
  }
}

describe('HotpathError', () => {
  it('carries code, details, cause and a stable name', () => {
    const cause = new Error('low level')
    const error = new HotpathError('HOTPATH_TEST_X', 'boom', { cause, details: { a: 1 } })
    expect(error).toBeInstanceOf(Error)
    expect(error).toMatchObject({ code: 'HOTPATH_TEST_X', name: 'HotpathError', details: { a: 1 }, cause })
    expect(String(error)).toBe('HotpathError: boom')
    expect(new PoolClosedError().name).toBe('PoolClosedError')
  })

  it('keeps the brand off the enumerable own properties', () => {
    const error = new InvalidOptionError('ttl', -1, 'a finite number > 0', 'HOTPATH_TEST_INVALID_OPTION')
    expect(Object.getOwnPropertySymbols(error)).toEqual([])
    expect(Object.keys(error).sort()).toEqual(['code', 'details'])
  })

  it('gives every option error one message shape and one details shape', () => {
    const error = new InvalidOptionError('ttl', -1, 'a finite number > 0', 'HOTPATH_TEST_INVALID_OPTION')
    expect(error.message).toBe('invalid option "ttl": received -1, expected a finite number > 0')
    expect(error.details).toEqual({ option: 'ttl', received: -1, expected: 'a finite number > 0' })
    expect(error.code).toBe('HOTPATH_TEST_INVALID_OPTION')
    expect(new InvalidOptionError('x', 1, 'y').code).toBe('HOTPATH_INVALID_OPTION')
  })

  it('subclass instanceof stays exact within one copy', () => {
    expect(new PoolClosedError()).toBeInstanceOf(HotpathError)
    expect(new PoolClosedError()).not.toBeInstanceOf(InvalidOptionError)
    expect(new InvalidOptionError('a', 1, 'b')).not.toBeInstanceOf(PoolClosedError)
    expect(new Error('plain')).not.toBeInstanceOf(HotpathError)
    expect(isHotpathError(new Error('plain'))).toBe(false)
    expect(isHotpathError(null)).toBe(false)
    expect(isHotpathError(new PoolClosedError())).toBe(true)
  })

  describe('across duplicated copies of the module', () => {
    const dirs: string[] = []
    afterAll(async () => {
      for (const d of dirs) await rm(d, { recursive: true, force: true })
    })
    async function copy(): Promise<typeof import('../src/index.ts')> {
      const dir = await mkdtemp(join(tmpdir(), 'hp-core-copy-'))
      dirs.push(dir)
      await cp(new URL('../src', import.meta.url), dir, { recursive: true })
      return import(pathToFileURL(join(dir, 'index.ts')).href)
    }

    it('instanceof HotpathError and isHotpathError work on errors of another copy', async () => {
      const other = await copy()
      expect(other.HotpathError).not.toBe(HotpathError)
      const foreign = new other.InvalidOptionError('max', 'x', 'an integer')
      expect(foreign).toBeInstanceOf(HotpathError)
      expect(foreign).toBeInstanceOf(InvalidOptionError)
      expect(isHotpathError(foreign)).toBe(true)
      expect(new InvalidOptionError('a', 1, 'b')).toBeInstanceOf(other.HotpathError)
      expect(new InvalidOptionError('a', 1, 'b')).toBeInstanceOf(other.InvalidOptionError)
      expect(new other.HotpathError('HOTPATH_X', 'm')).not.toBeInstanceOf(InvalidOptionError)
    })
  })
})
