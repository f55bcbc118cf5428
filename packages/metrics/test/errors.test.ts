// The README's error table and the registry list the same codes; every error is a coded core HotpathError.
import { HotpathError as CoreHotpathError, InvalidOptionError as CoreInvalidOptionError } from '@hotpath/core'
import { readmeErrorCodes } from '@hotpath/test-helpers'
import { describe, expect, it } from 'vitest'
import {
  createMetrics,
  errorCodes,
  HotpathError,
  InvalidOptionError,
  isHotpathError,
  MetricsClosedError,
  MetricsObserveError,
} from '../src/index.ts'

const README = new URL('../README.md', import.meta.url)

describe('error codes', () => {
  it('README ## Errors table == errorCodes registry, both ways', () => {
    const documented = readmeErrorCodes(README)
    const registered = Object.keys(errorCodes).sort()
    expect(documented).toEqual(registered)
    for (const [code, when] of Object.entries(errorCodes)) {
      expect(code).toMatch(/^HOTPATH_METRICS_[A-Z_]+$/)
      expect(when.length).toBeGreaterThan(10)
    }
  })

  it('re-exports the one identity of @hotpath/core', () => {
    expect(HotpathError).toBe(CoreHotpathError)
    expect(InvalidOptionError).toBe(CoreInvalidOptionError)
  })

  it('every error thrown is a coded HotpathError whose code is in the registry', async () => {
    const m = createMetrics({ runtime: false })
    const cases: Array<[() => unknown, abstract new (...args: never[]) => Error, string]> = [
      [() => createMetrics({ cardinalityLimit: -1 }), InvalidOptionError, 'InvalidOptionError'],
      [() => m.observe({} as never), MetricsObserveError, 'MetricsObserveError'],
      [() => m.histogram('9bad'), InvalidOptionError, 'InvalidOptionError'],
    ]
    for (const [fn, errorClass, name] of cases) {
      expect(fn).toThrow(errorClass)
      expect(fn).toThrow(CoreHotpathError)
      expect(fn).toThrow(expect.objectContaining({ name, code: expect.toBeOneOf(Object.keys(errorCodes)) }))
    }
    await m.close()
    expect(() => m.instrument()).toThrow(MetricsClosedError)
    expect(() => m.instrument()).toThrow(
      expect.objectContaining({ name: 'MetricsClosedError', code: 'HOTPATH_METRICS_CLOSED' }),
    )
    expect(isHotpathError(new MetricsClosedError('x'))).toBe(true)
    expect(isHotpathError(new Error('x'))).toBe(false)
  })

  it('observe() keeps what stats() threw as the cause', async () => {
    await using m = createMetrics({ runtime: false })
    const boom = new Error('boom')
    expect(() =>
      m.observe({
        stats: () => {
          throw boom
        },
      }),
    ).toThrow(expect.objectContaining({ code: 'HOTPATH_METRICS_NOT_OBSERVABLE', cause: boom }))
  })
})
