// Issue 11 defect 8: bounded memory (tag stamps expire, real sizes of Maps/Sets/typed arrays, a default byte bound).
import { serialize } from 'node:v8'
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

  it('maxBytes filled with Maps stays within ~1.2x of its bound (estimate vs a hand-computed V8 size)', async () => {
    const maxBytes = 1024 * 1024
    await using cache = createCache({ l1: { max: 100_000, maxBytes } })
    const make = (i: number): Map<string, number> => {
      const m = new Map<string, number>()
      for (let j = 0; j < 100; j++) m.set(`key-${String(j).padStart(4, '0')}`, i * 1000 + j)
      return m
    }
    for (let i = 0; i < 2_000; i++) await cache.set(`m${i}`, make(i))
    const held = cache.stats().entries
    // V8 heap of one such Map, computed by hand: JSMap (32 B) + OrderedHashMap of capacity 128
    // (header 24 + 64 buckets x 8 + 128 entries x 3 words) + 100 one-byte strings of 8 chars (24 B each);
    // the values are small integers (Smis, no extra bytes).
    const heapPerMap = 32 + (24 + 64 * 8 + 128 * 24) + 100 * 24
    expect(held * heapPerMap).toBeLessThanOrEqual(1.2 * maxBytes)
    // and the bound is used, not wasted by a wild overestimate
    expect(held * heapPerMap).toBeGreaterThan(0.4 * maxBytes)
    // v8.serialize (a lower bound of the real size) agrees
    expect(held * serialize(make(0)).length).toBeLessThanOrEqual(maxBytes)
  })

  it('Sets, typed arrays, Buffers and nested objects are sized by content', async () => {
    await using cache = createCache({ l1: { max: 100_000, maxBytes: 1_000_000 } })
    await cache.set('set', new Set(Array.from({ length: 1000 }, (_, i) => `member-${i}`)))
    const setBytes = cache.stats().bytes
    expect(setBytes).toBeGreaterThan(1000 * 16)
    await cache.set('f64', new Float64Array(10_000))
    expect(cache.stats().bytes - setBytes).toBeGreaterThanOrEqual(80_000)
    await cache.set('nested', { a: [new Map([['x', Buffer.alloc(50_000)]])] })
    expect(cache.stats().bytes - setBytes).toBeGreaterThanOrEqual(130_000)
  })

  it('the default L1 has a byte bound (64 MiB)', async () => {
    await using cache = createCache({})
    await cache.set('big', Buffer.alloc(65 * 1024 * 1024))
    expect(cache.peek('big')).toBeUndefined() // larger than the whole bound: not kept
    await cache.set('small', Buffer.alloc(1024))
    expect(cache.stats().bytes).toBeGreaterThanOrEqual(1024)
  })
})
