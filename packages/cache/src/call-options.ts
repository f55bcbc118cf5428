// Validation of keys, tags and per-call options (on every call: cheap checks only).
import { InvalidKeyError, InvalidOptionError } from './errors.ts'
import type { ResolvedCall } from './getorset.ts'
import { checkPositive, type GetOrSetOptions, type ResolvedOptions } from './options.ts'

/** Keys starting with this prefix are reserved for the cache's own records in L2. */
export const RESERVED = '__hp:'

export function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidKeyError(key)
  if (key.startsWith(RESERVED)) throw new InvalidKeyError(key, `the prefix ${RESERVED} is reserved`)
}

export function checkTags(name: string, tags: unknown): string[] | undefined {
  if (tags === undefined) return undefined
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string' && t.length > 0)) {
    throw new InvalidOptionError(name, tags, 'an array of non-empty strings')
  }
  return tags.length === 0 ? undefined : tags
}

export function resolveCall(o: ResolvedOptions, options: GetOrSetOptions | undefined): ResolvedCall {
  if (options === undefined) {
    return {
      ttl: o.ttl,
      grace: o.grace,
      tags: undefined,
      softTimeout: undefined,
      hardTimeout: undefined,
      lock: false,
    }
  }
  const softTimeout =
    options.softTimeout === undefined ? undefined : checkPositive('softTimeout', options.softTimeout)
  const hardTimeout =
    options.hardTimeout === undefined ? undefined : checkPositive('hardTimeout', options.hardTimeout)
  if (options.lock !== undefined && typeof options.lock !== 'boolean') {
    throw new InvalidOptionError('lock', options.lock, 'a boolean')
  }
  return {
    ttl: options.ttl === undefined ? o.ttl : checkPositive('ttl', options.ttl),
    grace: options.grace === undefined ? o.grace : checkPositive('grace', options.grace, true),
    tags: checkTags('tags', options.tags),
    softTimeout,
    hardTimeout,
    lock: options.lock === true,
  }
}
