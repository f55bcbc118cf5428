// Cross-instance primitives on top of a cache, used by the idempotency store: an atomic "add if absent"
// (Redis SET NX PX) and a read that trusts L2 (shared by instances) before L1.
import type { LayeredCache } from './cache.ts'
import { checkKey } from './call-options.ts'
import { encodeEnvelope } from './codec.ts'
import type { L1Value } from './l1.ts'
import { NONE } from './local.ts'
import { IdempotencyUnavailableError } from './errors.ts'

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
  const remote = c.remote
  if (remote === undefined && c.freshValue(key) !== NONE) return false
  const epoch = c.epoch
  if (remote?.atomic === true) {
    const l2 = remote.backend
    const exp = c.clock.epoch() + ttl
    const encoded = encodeEnvelope(
      key,
      { value, createdAt: c.stamps.next(), expiresAt: exp, graceUntil: exp, tags: undefined },
      c.o.compress,
    )
    const full = remote.key(key)
    try {
      const ok = await remote.guard.call('set', () => l2.setIfAbsent!(full, encoded, ttl))
      if (!ok) {
        // Read under the guard (a timeout throws): an unknown holder must never be taken over.
        const rawValue = await remote.guard.call('get', () => l2.get(full))
        const env = await remote.accept(key, rawValue)
        if (env !== undefined && c.fresh(env)) return false
        // What blocks the key is stale, corrupt or invalidated (clear / tags): take it over.
        await remote.guard.call('set', () => l2.set(full, encoded, ttl))
      }
      c.counters.sets++
      if (c.local !== undefined && epoch === c.epoch) c.local.put(key, value as L1Value, ttl)
      if (c.bus !== undefined) c.bus.publish('key', { keys: [key] })
      return true
    } catch (error) {
      // L2 timed out, the breaker is open or Redis is down: the answer is unknown. Fail closed.
      throw new IdempotencyUnavailableError(key, error)
    }
  } else if (remote !== undefined) {
    const env = await remote.read(key)
    if (env !== undefined && c.fresh(env)) return false
  }
  await c.store(key, value, ttl, 0, undefined, epoch)
  return true
}

/** Reads L2 first (the truth shared by instances), then L1. */
export async function getShared(c: LayeredCache, key: string): Promise<unknown> {
  c.assertOpen()
  checkKey(key)
  if (c.remote !== undefined) {
    const env = await c.remote.read(key)
    if (env !== undefined && c.fresh(env)) return env.value
  }
  const v = c.freshValue(key)
  return v === NONE ? undefined : v
}
