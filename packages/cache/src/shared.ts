// Cross-instance primitives on top of a cache, used by the idempotency store: an atomic "add if absent"
// (Redis SET NX PX) and a read that trusts L2 (shared by instances) before L1.
import { type LayeredCache, NONE } from './cache.ts'
import { checkKey } from './call-options.ts'
import { encodeEnvelope } from './codec.ts'
import type { L1Value } from './l1.ts'
import { IdempotencyUnavailableError } from './errors.ts'
import { accept, readL2 } from './l2/read.ts'

/**
 * Stores `value` only if `key` holds no fresh value; true when stored. Atomic across instances on Redis
 * (SET NX PX); best effort on other stores; decided on this process's knowledge when L2 is down.
 */
export async function addIfAbsent(
  c: LayeredCache,
  key: string,
  value: unknown,
  ttl: number,
): Promise<boolean> {
  c.assertOpen()
  checkKey(key)
  const l2 = c.l2
  if (l2 === undefined && c.freshValue(key) !== NONE) return false
  const epoch = c.epoch
  if (l2?.setIfAbsent !== undefined) {
    const exp = c.clock.epoch() + ttl
    const encoded = encodeEnvelope(
      key,
      { value, createdAt: c.stamps.next(), expiresAt: exp, graceUntil: exp, tags: undefined },
      c.o.compress,
    )
    const full = c.l2Key(key)
    try {
      const ok = await c.guard.call('set', () => l2.setIfAbsent!(full, encoded, ttl))
      if (!ok) {
        // Read under the guard (a timeout throws): an unknown holder must never be taken over.
        const rawValue = await c.guard.call('get', () => l2.get(full))
        const env = rawValue == null ? undefined : await accept(c, key, rawValue)
        if (env !== undefined && c.fresh(env)) return false
        // What blocks the key is stale, corrupt or invalidated (clear / tags): take it over.
        await c.guard.call('set', () => l2.set(full, encoded, ttl))
      }
      c.sets++
      if (c.l1 !== undefined && epoch === c.epoch) c.put(key, value as L1Value, ttl)
      if (c.bus !== undefined) c.bus.publish('key', { keys: [key] })
      return true
    } catch (error) {
      // L2 timed out, the breaker is open or Redis is down: the answer is unknown. Fail closed.
      throw new IdempotencyUnavailableError(key, error)
    }
  } else if (l2 !== undefined) {
    const env = await readL2(c, key)
    if (env !== undefined && c.fresh(env)) return false
  }
  await c.store(key, value, ttl, 0, undefined, epoch)
  return true
}

/** Reads L2 first (the truth shared by instances), then L1. */
export async function getShared(c: LayeredCache, key: string): Promise<unknown> {
  c.assertOpen()
  checkKey(key)
  if (c.l2 !== undefined) {
    const env = await readL2(c, key)
    if (env !== undefined && c.fresh(env)) return env.value
  }
  const v = c.freshValue(key)
  return v === NONE ? undefined : v
}
