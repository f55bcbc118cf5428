// Issue 11 defect 8: bounded memory (tag stamps expire; sizes and the byte bound: test/l1-suite.ts).
import { describe, expect, it } from 'vitest'
import { createCache } from '../src/index.ts'
import { manualClock } from './manual-clock.ts'

/** The tag-stamp map of an instance (internal: there is no public accessor). */
function tagStamps(cache: unknown): Map<string, number> {
  return (cache as { inv: { tagTimes: Map<string, number> } }).inv.tagTimes
}

describe('memory (defect 8)', () => {
  it('tag stamps older than the longest TTL + grace in use are dropped', async () => {
    const clock = manualClock()
    await using cache = createCache({ clock, ttl: 1_000, grace: 500 })
    await cache.set('k', 1, { tags: ['t0'], ttl: 2_000 })
    const n = 500_000
    for (let i = 0; i < n; i += 10_000) {
      const tags: string[] = []
      for (let j = i; j < i + 10_000; j++) tags.push(`tag:${j}`)
      await cache.invalidateTags(tags)
    }
    expect(tagStamps(cache).size).toBeGreaterThanOrEqual(n)
    // the longest lifetime in use is 2_000 + 500 (the entry above): after it passes, the stamps are useless
    clock.advance(2_500 + 2_000)
    await cache.invalidateTags(['one-more']) // activity that triggers the sweep
    expect(tagStamps(cache).size).toBeLessThan(n / 100)
    // a stamp that can still matter is kept: an entry created before it stays invalidated
    await cache.set('tagged', 1, { tags: ['fresh'] })
    await cache.invalidateTags(['fresh'])
    clock.advance(1_200)
    await cache.invalidateTags(['other'])
    expect(tagStamps(cache).has('fresh')).toBe(true)
    expect(cache.peek('tagged')).toBeUndefined()
  })
})
