// cache.wrap(fn): memoizes an async function by a key derived from its arguments.
import { createHash } from 'node:crypto'
import { checkTags } from './call-options.ts'
import { InvalidKeyError } from './errors.ts'
import { checks, type GetOrSetOptions } from './options.ts'
import type { Cache, WrapOptions } from './types.ts'

export function wrapFunction<A extends unknown[], R>(
  cache: Cache,
  fn: (...args: A) => Promise<R>,
  options?: WrapOptions<A>,
): (...args: A) => Promise<R> {
  if (typeof fn !== 'function') checks.fail('fn', fn, 'a function')
  checks.object('options', options, ['key', 'ttl', 'grace', 'tags'])
  const keyOf = checks.func<(...args: A) => string>('key', options?.key)
  if (keyOf === undefined && !fn.name) {
    checks.fail('key', keyOf, 'a key function when the wrapped function has no name')
  }
  const call: GetOrSetOptions = {}
  if (options?.ttl !== undefined) call.ttl = checks.positive('ttl', options.ttl)
  if (options?.grace !== undefined) call.grace = checks.nonNegative('grace', options.grace)
  if (options?.tags !== undefined) call.tags = checkTags('tags', options.tags)
  const prefix = `wrap:${fn.name}:`
  return (...args: A): Promise<R> => {
    let key: string
    if (keyOf !== undefined) {
      try {
        key = keyOf(...args)
      } catch (error) {
        return Promise.reject(error) // the caller's own key function: its error, unchanged
      }
    } else {
      try {
        key = prefix + argsKey(args)
      } catch (error) {
        // functions, symbols, cycles: no stable key for these arguments.
        return Promise.reject(
          new InvalidKeyError(
            args,
            `wrap(${fn.name}) has no key for these arguments (${(error as Error).message}): pass options.key`,
            error,
          ),
        )
      }
    }
    return cache.getOrSet(key, () => fn(...args), call)
  }
}

/** Keys longer than this are replaced by their SHA-256 (base64url). */
const MAX_KEY = 200

/**
 * A stable, type-tagged encoding of wrap() arguments: undefined / null, numbers / strings / BigInts,
 * Maps / Sets / Dates / byte arrays never collide; object keys are sorted. Long keys are hashed.
 */
export function argsKey(args: unknown[]): string {
  const out = encodeArg(args, new Set())
  return out.length <= MAX_KEY ? out : `#${createHash('sha256').update(out).digest('base64url')}`
}

function encodeArg(v: unknown, seen: Set<object>): string {
  switch (typeof v) {
    case 'undefined':
      return 'u'
    case 'boolean':
      return v ? 't' : 'f'
    case 'number':
      return Object.is(v, -0) ? 'd-0' : `d${v}`
    case 'bigint':
      return `i${v}`
    case 'string':
      return JSON.stringify(v)
    case 'function':
    case 'symbol':
      throw new TypeError(`a ${typeof v} argument`)
  }
  if (v === null) return 'n'
  const o = v as object
  if (seen.has(o)) throw new TypeError('a circular argument')
  seen.add(o)
  let r: string
  if (Array.isArray(o)) r = `[${o.map((x) => encodeArg(x, seen)).join(',')}]`
  else if (o instanceof Date) r = `D${o.getTime()}`
  else if (o instanceof Uint8Array)
    r = `U${Buffer.from(o.buffer, o.byteOffset, o.byteLength).toString('base64')}`
  else if (o instanceof Map)
    r = `M[${Array.from(o, ([k, x]) => `${encodeArg(k, seen)}:${encodeArg(x, seen)}`).join(',')}]`
  else if (o instanceof Set) r = `S[${Array.from(o, (x) => encodeArg(x, seen)).join(',')}]`
  else {
    const keys = Object.keys(o).sort()
    const rec = o as Record<string, unknown>
    r = `{${keys.map((k) => `${JSON.stringify(k)}:${encodeArg(rec[k], seen)}`).join(',')}}`
  }
  seen.delete(o)
  return r
}
