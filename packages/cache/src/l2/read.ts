// Reading entries from L2: decode, count and delete corrupt values, check invalidation stamps (read
// from L2 when they may be out of date), and turn envelopes into L1 entries.
import type { LayeredCache } from '../cache.ts'
import { decodeEnvelope, type Envelope } from '../codec.ts'
import { Wrapped } from '../l1.ts'
import { ValueTooLargeError } from '../errors.ts'
import { isReplyError } from './guard.ts'

/** How far ahead of this process's wall clock an invalidation stamp may be (clock skew between hosts). */
export const MAX_STAMP_SKEW = 60_000

/** Reads, decodes and validates the L2 envelope of `key` (stale ones included); never throws. */
export async function readL2(c: LayeredCache, key: string): Promise<Envelope | undefined> {
  const l2 = c.l2!
  const full = c.l2Key(key)
  let raw: unknown
  try {
    raw = await c.guard.call('get', () => l2.get(full))
  } catch (error) {
    if (isReplyError(error)) c.dropBad(key)
    return undefined
  }
  if (raw === undefined || raw === null) return undefined
  return accept(c, key, raw)
}

/**
 * Validates a raw L2 value of `key`: corrupt values are counted and deleted; invalidation stamps are
 * read from L2 first when they may be out of date (then a promise is returned).
 */
export function accept(
  c: LayeredCache,
  key: string,
  raw: unknown,
): Envelope | undefined | Promise<Envelope | undefined> {
  if (typeof raw === 'string' && raw.length > c.o.maxValueBytes) {
    // Larger than any value this cache writes: skipped (a miss), never a breaker failure.
    c.guard.ignored('get', new ValueTooLargeError(key, raw.length, c.o.maxValueBytes))
    return undefined
  }
  const env = decodeEnvelope(raw)
  if (env === undefined) {
    c.dropBad(key)
    return undefined
  }
  const need = c.inv.stale(env.tags)
  if (need !== undefined) return sync(c, need).then(() => check(c, env))
  return check(c, env)
}

function check(c: LayeredCache, env: Envelope): Envelope | undefined {
  const inv = c.inv
  // createdAt / graceUntil are parsed only when needed (see DecodedEnvelope).
  if ((inv.clearedAt !== 0 || (env.tags !== undefined && inv.any)) && !inv.valid(env.createdAt, env.tags)) {
    return undefined
  }
  const wall = c.clock.epoch()
  if (env.expiresAt <= wall && env.graceUntil <= wall) return undefined
  return env
}

/** Reads invalidation stamps (tags; null = the clear generation) from L2 into the local state. */
async function sync(c: LayeredCache, names: (string | null)[]): Promise<void> {
  const l2 = c.l2!
  const keys = names.map((n) => c.stampKey(n))
  let values: unknown[]
  try {
    values = await c.guard.call('sync', () => l2.getMany(keys))
  } catch {
    return
  }
  // A stamp beyond now + MAX_STAMP_SKEW is foreign or corrupt: trusting it would hide every entry for good.
  const limit = c.clock.epoch() + MAX_STAMP_SKEW
  for (let i = 0; i < names.length; i++) {
    const v = Number(values[i])
    if (values[i] != null && Number.isFinite(v) && v > 0 && v <= limit) {
      const name = names[i]!
      if (name === null) c.inv.invalidateAll(v)
      else c.inv.invalidateTag(name, v)
    }
  }
  c.inv.markSynced(names)
}

/**
 * An L2 envelope as an L1 entry (the stale / previous value of a refresh): its wall-clock expiry
 * times become times of the cache's monotonic clock (same distance from now).
 */
export function toWrapped(c: LayeredCache, env: Envelope): Wrapped {
  const shift = c.clock.now() - c.clock.epoch()
  return new Wrapped(
    env.value,
    env.expiresAt + shift,
    env.graceUntil + shift,
    env.createdAt,
    env.tags,
    env.expiresAt - env.createdAt,
  )
}
