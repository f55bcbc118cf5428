import { describe, expect, it } from 'vitest'
import { InvalidOptionError, optionChecks, systemClock } from '../src/index.ts'

const check = optionChecks('HOTPATH_TEST_INVALID_OPTION')

describe('optionChecks', () => {
  it('returns defaults for undefined and the value when valid', () => {
    expect(check.positive('ttl', undefined, 5)).toBe(5)
    expect(check.positive('ttl', 2.5, 5)).toBe(2.5)
    expect(check.nonNegative('grace', 0, 5)).toBe(0)
    expect(check.integer('max', 3, 1, 1, 10)).toBe(3)
    expect(check.boolean('on', false, true)).toBe(false)
    expect(check.string('name', 'a', 'b')).toBe('a')
    expect(check.oneOf('mode', 'b', ['a', 'b'], 'a')).toBe('b')
    expect(check.clock('clock', undefined)).toBe(systemClock)
  })

  it.each([
    [
      'positive',
      () => check.positive('ttl', 0, 1),
      'invalid option "ttl": received 0, expected a finite number > 0',
    ],
    ['positive NaN', () => check.positive('ttl', Number.NaN, 1), 'received NaN'],
    ['positive Infinity', () => check.positive('ttl', Number.POSITIVE_INFINITY, 1), 'received Infinity'],
    ['positive string', () => check.positive('ttl', '5', 1), 'received "5"'],
    ['nonNegative', () => check.nonNegative('grace', -1, 1), 'expected a finite number >= 0'],
    ['integer', () => check.integer('max', 1.5, 1, 1, 10), 'expected an integer from 1 to 10'],
    ['integer min', () => check.integer('max', 0, 1, 1), 'expected an integer >= 1'],
    ['boolean', () => check.boolean('on', 1, true), 'expected true or false'],
    ['string', () => check.string('name', '', 'x'), 'expected a non-empty string'],
    ['oneOf', () => check.oneOf('mode', 'c', ['a', 'b'], 'a'), "expected one of 'a', 'b'"],
    ['func', () => check.func('fn', 3), 'expected a function'],
    ['object', () => check.object('pool', [1]), 'received an array (1 items), expected an object'],
    ['clock', () => check.clock('clock', { now: () => 1 }), 'expected a clock'],
    [
      'unknown key',
      () => check.object('pg', { connectionstring: 'x' }, ['connectionString']),
      'invalid option "pg.connectionstring"',
    ],
  ])('%s fails with the package code and a message naming option, value and expectation', (_, fn, text) => {
    expect(fn).toThrow(InvalidOptionError)
    expect(fn).toThrow(text)
    expect(fn).toThrow(expect.objectContaining({ code: 'HOTPATH_TEST_INVALID_OPTION' }))
  })
})
