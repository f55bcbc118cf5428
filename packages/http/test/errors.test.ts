import { readdirSync, readFileSync } from 'node:fs'
import { HotpathError as CoreHotpathError, InvalidOptionError as CoreInvalidOptionError } from '@hotpath/core'
import { freePort, readmeErrorCodes } from '@hotpath/test-helpers'
import { describe, expect, it } from 'vitest'
import {
  CircuitOpenError,
  ClosedError,
  createHttpClient,
  errorCodes,
  HotpathError,
  HttpError,
  InvalidJsonError,
  InvalidOptionError,
  InvalidRequestError,
  isHotpathError,
  RateLimitError,
  UpstreamError,
} from '../src/index.ts'

const registry = Object.keys(errorCodes).sort()

describe('error codes', () => {
  it('the README error table lists exactly the codes of the registry', () => {
    expect(readmeErrorCodes(new URL('../README.md', import.meta.url))).toEqual(registry)
  })

  it('every code of the registry is used by src, and src uses no code outside it', () => {
    const dir = new URL('../src/', import.meta.url)
    const used = new Set<string>()
    for (const file of readdirSync(dir, { recursive: true }) as string[]) {
      if (file === 'error-codes.ts' || !file.endsWith('.ts')) continue
      const text = readFileSync(new URL(file, dir), 'utf8')
      for (const m of text.matchAll(/'(HOTPATH_[A-Z0-9_]+)'/g)) used.add(m[1] as string)
    }
    expect([...used].sort()).toEqual(registry)
  })

  it('re-exports the one error identity of @hotpath/core', () => {
    expect(HotpathError).toBe(CoreHotpathError)
    expect(InvalidOptionError).toBe(CoreInvalidOptionError)
  })
})

describe('errors are coded HotpathErrors of @hotpath/core', () => {
  it('each error class', () => {
    const errors: [HttpError, string][] = [
      [new ClosedError(), 'ClosedError'],
      [new CircuitOpenError('http://x', 10), 'CircuitOpenError'],
      [new RateLimitError('HOTPATH_HTTP_RATE_LIMIT_TIMEOUT', 'slow', 'http://x'), 'RateLimitError'],
      [new InvalidJsonError(new SyntaxError('bad'), 200), 'InvalidJsonError'],
      [new InvalidRequestError('HOTPATH_HTTP_INVALID_URL', 'bad url'), 'InvalidRequestError'],
      [new UpstreamError('HOTPATH_HTTP_REQUEST_FAILED', 'boom'), 'UpstreamError'],
    ]
    for (const [error, name] of errors) {
      expect(error).toBeInstanceOf(CoreHotpathError)
      expect(error).toBeInstanceOf(HttpError)
      expect(isHotpathError(error)).toBe(true)
      expect(registry).toContain(error.code)
      expect(error.name).toBe(name)
    }
  })

  it('a bad option throws core InvalidOptionError with HOTPATH_HTTP_INVALID_OPTION', () => {
    const thrown = (): unknown => {
      try {
        createHttpClient({ connections: 0 })
      } catch (e) {
        return e
      }
      return undefined
    }
    const error = thrown()
    expect(error).toBeInstanceOf(CoreInvalidOptionError)
    expect(error).toBeInstanceOf(CoreHotpathError)
    expect(error).toMatchObject({
      code: 'HOTPATH_HTTP_INVALID_OPTION',
      name: 'InvalidOptionError',
      details: { option: 'connections', received: 0, expected: 'an integer >= 1' },
    })
  })

  it('what a request rejects with: bad input, upstream faults, a closed client', async () => {
    const c = createHttpClient({ cache: false, retry: false })
    const port = await freePort()
    const rejected = await Promise.all([
      c.request('not a url').catch((e: unknown) => e),
      c
        .request({ url: `http://127.0.0.1:${port}/`, method: 'POST', json: { n: 1n } })
        .catch((e: unknown) => e),
      c.request(`http://127.0.0.1:${port}/`).catch((e: unknown) => e),
    ])
    await c.close()
    rejected.push(await c.request(`http://127.0.0.1:${port}/`).catch((e: unknown) => e))
    rejected.push(await c.batch([]).catch((e: unknown) => e))
    expect(rejected.map((e) => (e as HttpError).code)).toEqual([
      'HOTPATH_HTTP_INVALID_URL',
      'HOTPATH_HTTP_INVALID_REQUEST',
      'HOTPATH_HTTP_CONNECTION_FAILED',
      'HOTPATH_HTTP_CLOSED',
      'HOTPATH_HTTP_CLOSED',
    ])
    for (const error of rejected) expect(error).toBeInstanceOf(CoreHotpathError)
  })
})
