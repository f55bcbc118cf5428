// stats() of a cache: the shape documented in docs/diagnostics-channels.md (kind: 'cache').
import type { Bus } from './bus.ts'
import type { Counters } from './counters.ts'
import type { Producer } from './getorset.ts'
import { estimateBytes } from './l1.ts'
import { TinyLfu } from './l1/tinylfu.ts'
import type { LocalTier } from './local.ts'
import type { ResolvedOptions } from './options.ts'
import type { RemoteTier } from './remote.ts'
import type { CacheStats } from './types.ts'

/** What stats() reads of a cache. */
export interface StatsSource {
  readonly namespace: string
  readonly o: ResolvedOptions
  readonly counters: Counters
  readonly local: LocalTier | undefined
  readonly remote: RemoteTier | undefined
  readonly bus: Bus | undefined
}

/** Approximate L1 bytes: exact with maxBytes, else the mean estimated size of up to 64 entries x count. */
function l1Bytes(c: StatsSource): number {
  const l1 = c.local?.handle
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

export function buildStats(c: StatsSource, p: Producer): CacheStats {
  const l1 = c.local?.handle
  const store = l1?.store
  const bus = c.bus
  const n = c.counters
  const guard = c.remote?.guard
  return {
    kind: 'cache',
    name: c.namespace,
    l1Hits: n.l1Hits,
    l2Hits: n.l2Hits,
    misses: n.misses,
    staleServed: n.staleServed,
    sets: n.sets,
    deletes: n.deletes,
    evictions: l1 ? { ...l1.evictions } : { evict: 0, expire: 0, set: 0, delete: 0 },
    admissions: store instanceof TinyLfu ? store.admitted : 0,
    rejections: store instanceof TinyLfu ? store.rejected : 0,
    factoryCalls: p.factoryCalls,
    factoryErrors: p.factoryErrors,
    factoryTimeouts: p.factoryTimeouts,
    coalesced: p.coalesced,
    l2Errors: guard?.errors ?? 0,
    l2Timeouts: guard?.timeouts ?? 0,
    l2Corrupt: n.l2Corrupt,
    breaker: guard?.state ?? 'closed',
    entries: l1?.store.size ?? 0,
    bytes: l1Bytes(c),
    adaptive: { grew: p.adaptiveGrew, shrank: p.adaptiveShrank },
    locks: { acquired: p.locksAcquired, waited: p.locksWaited, fallback: p.locksFallback },
    bus: bus === undefined ? undefined : { ...bus.stats },
  }
}
