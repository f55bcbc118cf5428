// The L1 behaviour every policy must keep (keyv's shared-suite style: one suite function, run by
// l1-lru.test.ts and l1-tinylfu.test.ts). Not a test file itself.
import { serialize } from 'node:v8'
import { systemClock } from '@hotpath/core'
import { capture } from '@hotpath/test-helpers'
import { describe, expect, it, vi } from 'vitest'
import {
  type CacheDeleteEvent,
  type CacheEvictEvent,
  type CacheGetEvent,
  type CacheOptions,
  type CacheSetEvent,
  createCache,
  type L1Options,
} from '../src/index.ts'
import { manualClock } from './manual-clock.ts'

type Policy = 'lru' | 'tinylfu'

export function l1Suite(policy: Policy): void {
  const make = (o: CacheOptions = {}, l1: Omit<L1Options, 'policy'> = {}) =>
    createCache({ ...o, l1: { ...l1, policy } })

  describe(`L1 basics (${policy})`, () => {
    it('sets, gets, peeks, has, deletes and clears', async () => {
      await using cache = make({ namespace: 'core' })
      expect(await cache.get('a')).toBeUndefined()
      await cache.set('a', { n: 1 })
      const v = await cache.get<{ n: number }>('a')
      expect(v).toEqual({ n: 1 })
      expect(cache.peek('a')).toBe(v) // kept by reference
      expect(await cache.has('a')).toBe(true)
      expect(await cache.delete('a')).toBe(true)
      expect(await cache.delete('a')).toBe(false)
      expect(await cache.has('a')).toBe(false)
      await cache.set('b', 1)
      await cache.set('c', null)
      expect(await cache.get('c')).toBeNull()
      await cache.clear()
      expect(cache.peek('b')).toBeUndefined()
      expect(cache.peek('c')).toBeUndefined()
      const s = cache.stats()
      expect(s.kind).toBe('cache')
      expect(s.name).toBe('core')
      expect(s.sets).toBe(3)
      expect(s.l1Hits).toBe(2)
      expect(s.deletes).toBe(2)
      expect(s.entries).toBe(0)
    })

    it('expires entries after their ttl (fake timers drive the default clock)', async () => {
      vi.useFakeTimers()
      try {
        await using cache = make({ ttl: 30 })
        await cache.set('k', 'v')
        await cache.set('long', 'v', { ttl: 10_000 })
        expect(cache.peek('k')).toBe('v')
        await vi.advanceTimersByTimeAsync(25)
        expect(cache.peek('k')).toBe('v')
        await vi.advanceTimersByTimeAsync(10)
        expect(cache.peek('k')).toBeUndefined()
        expect(await cache.get('k')).toBeUndefined()
        expect(cache.peek('long')).toBe('v')
        expect(cache.stats().evictions.expire).toBe(1)
      } finally {
        vi.useRealTimers()
      }
    })

    it('evicts by count and by bytes and counts eviction reasons', async () => {
      await using cache = make({}, { max: 3 })
      for (const k of ['a', 'b', 'c', 'd']) await cache.set(k, k)
      const held = ['a', 'b', 'c', 'd'].filter((k) => cache.peek(k) !== undefined)
      expect(held).toHaveLength(3)
      expect(cache.stats().entries).toBe(3)
      expect(cache.stats().evictions.evict).toBe(1)
      // lru evicts the least recently used; tinylfu turns away the newcomer that lost to main's victim
      expect(held).toEqual(policy === 'lru' ? ['b', 'c', 'd'] : ['a', 'b', 'd'])
      await cache.set('d', 'again')
      expect(cache.stats().evictions.set).toBe(1)

      await using bytes = make({}, { max: 100, maxBytes: 100, sizeCalculation: (v) => String(v).length })
      await bytes.set('x', 'x'.repeat(60))
      await bytes.set('y', 'y'.repeat(60))
      expect(bytes.peek('x')).toBeUndefined()
      expect(bytes.peek('y')).toBe('y'.repeat(60))
      expect(bytes.stats().bytes).toBe(60)
      // an entry that grows past the bound pushes others out
      await bytes.set('z', 'z'.repeat(30))
      await bytes.set('y', 'y'.repeat(90))
      expect(bytes.stats().bytes).toBeLessThanOrEqual(100)
      expect(bytes.peek('y')).toBe('y'.repeat(90))
    })

    it('publishes diagnostics only to subscribers, with the documented payloads', async () => {
      await using cache = make({ namespace: 'diag' }, { max: 1 })
      const get = capture<CacheGetEvent>('hotpath:cache:get')
      const set = capture<CacheSetEvent>('hotpath:cache:set')
      const evict = capture<CacheEvictEvent>('hotpath:cache:evict')
      const del = capture<CacheDeleteEvent>('hotpath:cache:delete')
      try {
        await cache.set('a', 1)
        await cache.get('a')
        await cache.get('zz')
        await cache.set('b', 2)
        await cache.delete('b')
      } finally {
        get.stop()
        set.stop()
        evict.stop()
        del.stop()
      }
      expect(get.messages).toEqual([
        { cache: 'diag', key: 'a', result: 'hit', tier: 'l1' },
        { cache: 'diag', key: 'zz', result: 'miss', tier: 'none' },
      ])
      expect(set.messages).toEqual([
        { cache: 'diag', key: 'a', ttlMs: 60_000, tier: 'l1' },
        { cache: 'diag', key: 'b', ttlMs: 60_000, tier: 'l1' },
      ])
      expect(evict.messages).toEqual([
        { cache: 'diag', key: 'a', reason: 'evict' },
        { cache: 'diag', key: 'b', reason: 'delete' },
      ])
      expect(del.messages).toEqual([{ cache: 'diag', key: 'b' }])
    })

    it('peek is L1 only, fresh values only, and keeps the entry as recently used', async () => {
      await using cache = make({}, { max: 100 })
      await cache.set('hot', 'h')
      for (let i = 0; i < 150; i++) {
        await cache.set(`k${i}`, i)
        expect(cache.peek('hot')).toBe('h')
      }
      expect(cache.peek('hot')).toBe('h')
      expect(cache.peek('missing')).toBeUndefined()
      expect(cache.stats().misses).toBe(0) // peek counts nothing
    })
  })

  describe(`L1 tags, TTLs and grace (${policy})`, () => {
    it('invalidates every entry carrying a tag, lazily, and keeps others', async () => {
      await using cache = make()
      await cache.set('u1', 'a', { tags: ['user:1', 'users'] })
      await cache.set('u2', 'b', { tags: ['user:2', 'users'] })
      await cache.set('x', 'c')
      await cache.invalidateTags(['user:1'])
      expect(await cache.get('u1')).toBeUndefined()
      expect(await cache.get('u2')).toBe('b')
      await cache.invalidateTags(['users'])
      expect(cache.peek('u2')).toBeUndefined()
      expect(cache.peek('x')).toBe('c')
      // a set after the invalidation is valid again
      await cache.set('u1', 'new', { tags: ['user:1'] })
      expect(await cache.get('u1')).toBe('new')
    })

    it('L1 TTLs of plain and wrapped (grace, tags) entries follow the injected clock', async () => {
      const clock = manualClock()
      await using cache = make({ clock, ttl: 1_000 })
      await cache.set('plain', 1)
      await cache.set('tagged', 2, { tags: ['t'] })
      await cache.set('graced', 3, { grace: 500 })
      clock.advance(999)
      expect([cache.peek('plain'), cache.peek('tagged'), cache.peek('graced')]).toEqual([1, 2, 3])
      clock.advance(2)
      expect([cache.peek('plain'), cache.peek('tagged'), cache.peek('graced')]).toEqual([
        undefined,
        undefined,
        undefined,
      ])
      // within grace getOrSet serves the stale value (and refreshes behind it)
      expect(await cache.getOrSet('graced', () => 4)).toBe(3)
    })

    it('defaults to systemClock, which Vitest fake timers drive', async () => {
      vi.useFakeTimers()
      try {
        await using cache = make({ clock: systemClock, ttl: 50 })
        await cache.set('k', 1)
        await vi.advanceTimersByTimeAsync(49)
        expect(cache.peek('k')).toBe(1)
        await vi.advanceTimersByTimeAsync(2)
        expect(cache.peek('k')).toBeUndefined()
      } finally {
        vi.useRealTimers()
      }
    })

    it('grace: stale entries are kept until their grace ends and served by getOrSet', async () => {
      const clock = manualClock()
      await using cache = make({ clock, ttl: 60, grace: 10_000 })
      expect(await cache.getOrSet('k', () => 1)).toBe(1)
      await cache.set('g', 'old')
      clock.advance(70)
      expect(cache.peek('k')).toBeUndefined() // peek and get return fresh values only
      expect(await cache.get('k')).toBeUndefined()
      expect(await cache.getOrSet('k', () => 2)).toBe(1) // stale served, refresh behind it
      expect(cache.stats().staleServed).toBe(1)
      await vi.waitFor(() => expect(cache.peek('k')).toBe(2))
      clock.advance(10_000)
      expect(await cache.getOrSet('g', () => 'new')).toBe('new') // grace over: the stale one is gone
      expect(cache.stats().staleServed).toBe(1)
    })
  })

  describe(`L1 byte bound (${policy})`, () => {
    it('maxBytes filled with Maps stays within ~1.2x of its bound (estimate vs a hand-computed V8 size)', async () => {
      const maxBytes = 1024 * 1024
      await using cache = make({}, { max: 100_000, maxBytes })
      const build = (i: number): Map<string, number> => {
        const m = new Map<string, number>()
        for (let j = 0; j < 100; j++) m.set(`key-${String(j).padStart(4, '0')}`, i * 1000 + j)
        return m
      }
      for (let i = 0; i < 2_000; i++) await cache.set(`m${i}`, build(i))
      const held = cache.stats().entries
      // V8 heap of one such Map, computed by hand: JSMap (32 B) + OrderedHashMap of capacity 128
      // (header 24 + 64 buckets x 8 + 128 entries x 3 words) + 100 one-byte strings of 8 chars (24 B each);
      // the values are small integers (Smis, no extra bytes).
      const heapPerMap = 32 + (24 + 64 * 8 + 128 * 24) + 100 * 24
      expect(held * heapPerMap).toBeLessThanOrEqual(1.2 * maxBytes)
      // and the bound is used, not wasted by a wild overestimate
      expect(held * heapPerMap).toBeGreaterThan(0.4 * maxBytes)
      // v8.serialize (a lower bound of the real size) agrees
      expect(held * serialize(build(0)).length).toBeLessThanOrEqual(maxBytes)
    })

    it('Sets, typed arrays, Buffers and nested objects are sized by content', async () => {
      await using cache = make({}, { max: 100_000, maxBytes: 1_000_000 })
      await cache.set('set', new Set(Array.from({ length: 1000 }, (_, i) => `member-${i}`)))
      const setBytes = cache.stats().bytes
      expect(setBytes).toBeGreaterThan(1000 * 16)
      await cache.set('f64', new Float64Array(10_000))
      expect(cache.stats().bytes - setBytes).toBeGreaterThanOrEqual(80_000)
      await cache.set('nested', { a: [new Map([['x', Buffer.alloc(50_000)]])] })
      expect(cache.stats().bytes - setBytes).toBeGreaterThanOrEqual(130_000)
    })

    it('a value larger than maxBytes is not kept and replaces nothing: the old value goes (reason set)', async () => {
      await using cache = make({}, { max: 10, maxBytes: 100, sizeCalculation: (v) => String(v).length })
      await cache.set('k', 'small')
      await cache.set('k', 'x'.repeat(101))
      expect(cache.peek('k')).toBeUndefined()
      expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0, evictions: { set: 1, evict: 0 } })
    })

    it('the default L1 has a byte bound (64 MiB)', async () => {
      await using cache = make()
      await cache.set('big', Buffer.alloc(65 * 1024 * 1024))
      expect(cache.peek('big')).toBeUndefined() // larger than the whole bound: not kept
      await cache.set('small', Buffer.alloc(1024))
      expect(cache.stats().bytes).toBeGreaterThanOrEqual(1024)
    })
  })
}
