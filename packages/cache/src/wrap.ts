// cache.wrap(fn): memoizes an async function by a key derived from its arguments.
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
        key = prefix + JSON.stringify(args)
      } catch (error) {
        // BigInts, cycles, throwing toJSON: no JSON key for these arguments.
        return Promise.reject(
          new InvalidKeyError(
            args,
            `wrap(${fn.name}) has no JSON key for these arguments (${(error as Error).message}): pass options.key`,
            error,
          ),
        )
      }
    }
    return cache.getOrSet(key, () => fn(...args), call)
  }
}
