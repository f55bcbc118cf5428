// cache.wrap(fn): memoizes an async function by a key derived from its arguments.
import { checkTags } from './call-options.ts'
import { InvalidOptionError } from './errors.ts'
import { checkPositive, type GetOrSetOptions } from './options.ts'
import type { Cache, WrapOptions } from './types.ts'

export function wrapFunction<A extends unknown[], R>(
  cache: Cache,
  fn: (...args: A) => Promise<R>,
  options?: WrapOptions<A>,
): (...args: A) => Promise<R> {
  if (typeof fn !== 'function') throw new InvalidOptionError('fn', fn, 'a function')
  const keyOf = options?.key
  if (keyOf !== undefined && typeof keyOf !== 'function') {
    throw new InvalidOptionError('key', keyOf, 'a function (...args) => string')
  }
  if (keyOf === undefined && !fn.name) {
    throw new InvalidOptionError('key', keyOf, 'a key function when the wrapped function has no name')
  }
  const call: GetOrSetOptions = {}
  if (options?.ttl !== undefined) call.ttl = checkPositive('ttl', options.ttl)
  if (options?.grace !== undefined) call.grace = checkPositive('grace', options.grace, true)
  if (options?.tags !== undefined) call.tags = checkTags('tags', options.tags)
  const prefix = `wrap:${fn.name}:`
  return (...args: A): Promise<R> => {
    let key: string
    try {
      key = keyOf ? keyOf(...args) : prefix + JSON.stringify(args)
    } catch (error) {
      return Promise.reject(error)
    }
    return cache.getOrSet(key, () => fn(...args), call)
  }
}
