// Validation of keys, tags and per-call options (on every call: cheap checks only).
import { InvalidKeyError } from './errors.ts'
import { checks, type GetOrSetOptions, type ResolvedOptions } from './options.ts'

/** Keys starting with this prefix are reserved for the cache's own records in L2. */
export const RESERVED = '__hp:'

export function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidKeyError(key)
  if (key.startsWith(RESERVED)) throw new InvalidKeyError(key, `the prefix ${RESERVED} is reserved`)
}

/** An array of valid keys (getMany, deleteMany); the first bad one throws. */
export function checkKeys(keys: unknown): asserts keys is readonly string[] {
  if (!Array.isArray(keys)) checks.fail('keys', keys, 'an array of keys')
  for (const key of keys as unknown[]) checkKey(key)
}

export function checkTags(name: string, tags: unknown): string[] | undefined {
  if (tags === undefined) return undefined
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string' && t.length > 0)) {
    checks.fail(name, tags, 'an array of non-empty strings')
  }
  return (tags as string[]).length === 0 ? undefined : (tags as string[])
}

/** The options of one getOrSet call, validated, with the cache's defaults filled in. */
export interface ResolvedCall {
  ttl: number
  grace: number
  tags: string[] | undefined
  softTimeout: number | undefined
  hardTimeout: number | undefined
  lock: boolean
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
  checks.object('options', options) // null, a number, ...: a coded error, not a TypeError
  return {
    ttl: checks.positive('ttl', options.ttl, o.ttl),
    grace: checks.nonNegative('grace', options.grace, o.grace),
    tags: checkTags('tags', options.tags),
    softTimeout: checks.positive('softTimeout', options.softTimeout),
    hardTimeout: checks.positive('hardTimeout', options.hardTimeout),
    lock: checks.boolean('lock', options.lock, false),
  }
}
