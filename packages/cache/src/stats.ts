// stats() of a cache: the shape documented in docs/diagnostics-channels.md (kind: 'cache').
import type { LayeredCache } from './cache.ts'
import type { Producer } from './getorset.ts'
import { estimateBytes } from './l1.ts'
import { TinyLfu } from './l1/tinylfu.ts'
import type { CacheStats } from './types.ts'

/** Approximate L1 bytes: exact with maxBytes, else the mean estimated size of up to 64 entries x count. */
function l1Bytes(c: LayeredCache): number {
  const l1 = c.l1
  if (l1 === undefined) return 0
  if (c.o.l1 && c.o.l1.maxBytes !== undefined) return l1.store.calculatedSize
  if (l1.store.size === 0) return 0
  let n = 0
  let sum = 0
  for (const v of l1.store.values()) {
    sum += estimateBytes(v)
    if (++n >= 64) break
  }
  return n === 0 ? 0 : Math.round((sum / n) * l1.store.size)
}

export function buildStats(c: LayeredCache, p: Producer): CacheStats {
  const l1 = c.l1
  const store = l1?.store
  const bus = c.bus
  return {
    kind: 'cache',
    name: c.namespace,
    l1Hits: c.l1Hits,
    l2Hits: c.l2Hits,
    misses: c.misses,
    staleServed: c.staleServed,
    sets: c.sets,
    deletes: c.deletes,
    evictions: l1 ? { ...l1.evictions } : { evict: 0, expire: 0, set: 0, delete: 0 },
    admissions: store instanceof TinyLfu ? store.admitted : 0,
    rejections: store instanceof TinyLfu ? store.rejected : 0,
    factoryCalls: p.factoryCalls,
    factoryErrors: p.factoryErrors,
    factoryTimeouts: p.factoryTimeouts,
    coalesced: p.coalesced,
    l2Errors: c.guard.errors,
    l2Timeouts: c.guard.timeouts,
    l2Corrupt: c.l2Corrupt,
    breaker: c.guard.state,
    entries: l1?.store.size ?? 0,
    bytes: l1Bytes(c),
    adaptive: { grew: p.adaptiveGrew, shrank: p.adaptiveShrank },
    locks: { acquired: p.locksAcquired, waited: p.locksWaited, fallback: p.locksFallback },
    bus: bus === undefined ? undefined : { ...bus.stats },
  }
}
