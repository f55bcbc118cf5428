// The hit / miss / write counters behind stats(): one object per cache, owned by the cache and handed to the
// parts that count (the getOrSet machinery, the remote tier), so no part reaches into the cache to count.
export class Counters {
  l1Hits = 0
  l2Hits = 0
  misses = 0
  staleServed = 0
  sets = 0
  deletes = 0
  /** Corrupt or foreign L2 values met (each a miss, and deleted). */
  l2Corrupt = 0
}
