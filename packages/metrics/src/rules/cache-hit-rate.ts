// cache-hit-rate: a cache whose hit rate over the window is below the threshold. The advice depends on why
// entries are missing: capacity evictions (L1 too small) or expiry/invalidation (TTL, writes).
import { pct, type Recommendation, type Rule } from './types.ts'

export const cacheHitRate: Rule = {
  id: 'cache-hit-rate',
  thresholds: ['cacheHitRate', 'cacheMinLookups'],
  evaluate(report, window) {
    const t = report.thresholds
    const out: Recommendation[] = []
    for (const c of report.caches) {
      if (c.lookups < t.cacheMinLookups || c.hitRate >= t.cacheHitRate) continue
      const capacity = c.evictionsByReason.evict ?? 0
      const expired = c.evictionsByReason.expire ?? 0
      const replaced = (c.evictionsByReason.set ?? 0) + (c.evictionsByReason.delete ?? 0)
      const figures = `${pct(c.hitRate)} hits of ${c.lookups} lookups in the last ${Math.round(window.seconds)} s (threshold ${pct(t.cacheHitRate)}), ${c.misses} misses`
      let advice: string
      if (capacity > 0 && capacity >= c.misses / 2) {
        advice = `${figures}, ${capacity} entries evicted for room: raise the L1 size (max entries/bytes) or add an L2 tier.`
      } else if (expired + replaced > 0 && expired + replaced >= c.misses / 2) {
        advice = `${figures}, ${expired} entries expired or invalidated and ${replaced} replaced or deleted: entries end before they are read again. If writes invalidate them, cache closer to the read (or update instead of invalidating); otherwise raise the TTL and serve stale while revalidating (grace).`
      } else {
        advice = `${figures}: raise the TTL (use grace/stale-while-revalidate for freshness) or widen the keys (drop per-user or per-request parts) so more lookups share an entry.`
      }
      out.push({
        rule: 'cache-hit-rate',
        severity: c.hitRate < t.cacheHitRate / 2 ? 'critical' : 'warning',
        subject: `cache ${c.name}`,
        evidence: {
          hitRate: c.hitRate,
          lookups: c.lookups,
          misses: c.misses,
          stale: c.stale,
          evictions: c.evictions,
          capacityEvictions: capacity,
          expired,
          threshold: t.cacheHitRate,
          minLookups: t.cacheMinLookups,
        },
        advice,
      })
    }
    return out
  },
}
