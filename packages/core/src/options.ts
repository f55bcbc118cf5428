// Option validation shared by every factory: each check returns the value (or its default) or
// throws the package's InvalidOptionError, with one message shape everywhere.
import { type Clock, isClock, systemClock } from './clock.ts'
import { InvalidOptionError } from './errors.ts'

type Fallback<T> = T | undefined

/** Validators bound to one package's invalid-option code. */
export interface OptionChecks {
  /** The package's invalid-option code. */
  readonly code: string
  /** Throws the InvalidOptionError of this package. */
  fail(option: string, received: unknown, expected: string): never
  /** A finite number > 0. */
  positive(option: string, value: unknown, fallback: number): number
  positive(option: string, value: unknown, fallback?: Fallback<number>): number | undefined
  /** A finite number >= 0 (durations in ms, grace periods, ...). */
  nonNegative(option: string, value: unknown, fallback: number): number
  nonNegative(option: string, value: unknown, fallback?: Fallback<number>): number | undefined
  /** An integer in [min, max]. */
  integer(option: string, value: unknown, fallback: number, min?: number, max?: number): number
  integer(
    option: string,
    value: unknown,
    fallback: Fallback<number>,
    min?: number,
    max?: number,
  ): number | undefined
  boolean(option: string, value: unknown, fallback: boolean): boolean
  /** A non-empty string. */
  string(option: string, value: unknown, fallback: string): string
  string(option: string, value: unknown, fallback?: Fallback<string>): string | undefined
  /** One of the listed values. */
  oneOf<const T extends string>(option: string, value: unknown, allowed: readonly T[], fallback: T): T
  oneOf<const T extends string>(
    option: string,
    value: unknown,
    allowed: readonly T[],
    fallback?: T,
  ): T | undefined
  /** A function, or undefined. */
  func<F extends (...args: never[]) => unknown>(option: string, value: unknown): F | undefined
  /** A Clock (`{ now(), epoch() }`); the system clock by default. */
  clock(option: string, value: unknown): Clock
  /** A plain object, or undefined; rejects unknown keys when `known` is given (catches misspellings). */
  object(option: string, value: unknown, known?: readonly string[]): Record<string, unknown> | undefined
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

/** Validators that throw `new InvalidOptionError(option, received, expected, code)`. */
export function optionChecks(code: string): OptionChecks {
  const fail = (option: string, received: unknown, expected: string): never => {
    throw new InvalidOptionError(option, received, expected, code)
  }
  return {
    code,
    fail,
    positive(option: string, value: unknown, fallback?: number): number {
      if (value === undefined) return fallback as number
      if (!isFiniteNumber(value) || value <= 0) fail(option, value, 'a finite number > 0')
      return value as number
    },
    nonNegative(option: string, value: unknown, fallback?: number): number {
      if (value === undefined) return fallback as number
      if (!isFiniteNumber(value) || value < 0) fail(option, value, 'a finite number >= 0')
      return value as number
    },
    integer(
      option: string,
      value: unknown,
      fallback: number | undefined,
      min = Number.MIN_SAFE_INTEGER,
      max = Number.MAX_SAFE_INTEGER,
    ): number {
      if (value === undefined) return fallback as number
      if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
        const range =
          max === Number.MAX_SAFE_INTEGER
            ? `an integer >= ${min}`
            : min === Number.MIN_SAFE_INTEGER
              ? `an integer <= ${max}`
              : `an integer from ${min} to ${max}`
        fail(option, value, range)
      }
      return value as number
    },
    boolean(option: string, value: unknown, fallback: boolean): boolean {
      if (value === undefined) return fallback
      if (typeof value !== 'boolean') fail(option, value, 'true or false')
      return value as boolean
    },
    string(option: string, value: unknown, fallback?: string): string {
      if (value === undefined) return fallback as string
      if (typeof value !== 'string' || value.length === 0) fail(option, value, 'a non-empty string')
      return value as string
    },
    oneOf<T extends string>(option: string, value: unknown, allowed: readonly T[], fallback?: T): T {
      if (value === undefined) return fallback as T
      if (!allowed.includes(value as T))
        fail(option, value, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`)
      return value as T
    },
    func<F extends (...args: never[]) => unknown>(option: string, value: unknown): F | undefined {
      if (value === undefined) return undefined
      if (typeof value !== 'function') fail(option, value, 'a function')
      return value as F
    },
    clock(option: string, value: unknown): Clock {
      if (value === undefined) return systemClock
      if (!isClock(value)) fail(option, value, 'a clock { now(): number, epoch(): number }')
      return value as Clock
    },
    object(option: string, value: unknown, known?: readonly string[]): Record<string, unknown> | undefined {
      if (value === undefined) return undefined
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        fail(option, value, 'an object')
      if (known) {
        for (const key of Object.keys(value as object)) {
          if (!known.includes(key)) {
            fail(
              `${option}.${key}`,
              (value as Record<string, unknown>)[key],
              `no such option (known: ${known.join(', ')})`,
            )
          }
        }
      }
      return value as Record<string, unknown>
    },
  } as OptionChecks
}
