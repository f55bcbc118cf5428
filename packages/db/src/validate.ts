// Small option validators shared by the factories: each throws InvalidOptionError naming the option.
import { InvalidOptionError } from './errors.ts'

export function optNumber(
  name: string,
  value: unknown,
  fallback: number,
  {
    min = 0,
    integer = false,
    allowInfinity = false,
  }: { min?: number; integer?: boolean; allowInfinity?: boolean } = {},
): number {
  if (value === undefined) return fallback
  const ok =
    typeof value === 'number' &&
    !Number.isNaN(value) &&
    value >= min &&
    (allowInfinity || Number.isFinite(value)) &&
    (!integer || Number.isInteger(value) || value === Number.POSITIVE_INFINITY)
  if (!ok) {
    const what = `${integer ? 'an integer' : 'a number'} >= ${min}${allowInfinity ? ' (or Infinity)' : ''}`
    throw new InvalidOptionError(name, value, what)
  }
  return value
}

export function optFunction<F>(name: string, value: unknown, required: boolean): F | undefined {
  if (value === undefined && !required) return undefined
  if (typeof value !== 'function') throw new InvalidOptionError(name, value, 'a function')
  return value as F
}

export function optString(name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || value === '')
    throw new InvalidOptionError(name, value, 'a non-empty string')
  return value
}

export function optObject<T extends object>(name: string, value: unknown): T | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(name, value, 'an object')
  }
  return value as T
}
