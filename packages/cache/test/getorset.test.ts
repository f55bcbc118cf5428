// getOrSet logic on fake timers: TTLs, grace, soft/hard timeouts and adaptive TTL are driven by
// vi.advanceTimersByTimeAsync (the default systemClock reads the faked performance.now / Date.now).
import { capture } from '@hotpath/test-helpers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type CacheFactoryEvent, createCache, FactoryTimeoutError } from '../src/index.ts'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

/** A promise's state without waiting for it. */
function track<T>(p: Promise<T>): { settled: boolean; promise: Promise<T> } {
  const state = { settled: false, promise: p }
  p.then(
    () => {
      state.settled = true
    },
    () => {
      state.settled = true
    },
  )
  return state
}

// (global setTimeout: the one vi.useFakeTimers replaces)
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const later = <T>(ms: number, value: T): Promise<T> => sleep(ms).then(() => value)

describe('getOrSet', () => {
  it('runs the factory once for concurrent callers (single flight) and caches the value', async () => {
    await using cache = createCache()
    let calls = 0
    const factory = async () => {
      calls++
      await sleep(20)
      return { v: calls }
    }
    const all = Promise.all(Array.from({ length: 50 }, () => cache.getOrSet('k', factory)))
    await vi.advanceTimersByTimeAsync(20)
    const results = await all
    expect(calls).toBe(1)
    expect(new Set(results).size).toBe(1)
    expect(await cache.getOrSet('k', factory)).toBe(results[0])
    const s = cache.stats()
    expect(s.factoryCalls).toBe(1)
    expect(s.coalesced).toBe(49)
    expect(s.misses).toBe(1)
    expect(s.l1Hits).toBe(1)
  })

  it('propagates factory errors to every waiter and caches nothing', async () => {
    await using cache = createCache()
    const boom = new Error('boom')
    const all = Promise.allSettled([1, 2, 3].map(() => cache.getOrSet('k', async () => Promise.reject(boom))))
    for (const r of await all) expect(r).toEqual({ status: 'rejected', reason: boom })
    expect(cache.stats().factoryErrors).toBe(1)
    expect(await cache.getOrSet('k', () => 'ok')).toBe('ok')
  })

  it('honours ctx.setTtl and ctx.skip', async () => {
    await using cache = createCache()
    await cache.getOrSet('short', (ctx) => {
      ctx.setTtl(20)
      return 1
    })
    await cache.getOrSet('skipped', (ctx) => {
      ctx.skip()
      return 2
    })
    expect(cache.peek('short')).toBe(1)
    expect(cache.peek('skipped')).toBeUndefined()
    await vi.advanceTimersByTimeAsync(15)
    expect(cache.peek('short')).toBe(1)
    await vi.advanceTimersByTimeAsync(10)
    expect(cache.peek('short')).toBeUndefined()
    await expect(
      cache.getOrSet('bad', (ctx) => {
        ctx.setTtl(0)
        return 1
      }),
    ).rejects.toMatchObject({ code: 'HOTPATH_CACHE_INVALID_OPTION' })
  })

  it('grace: serves stale at once and refreshes in the background', async () => {
    await using cache = createCache({ ttl: 60, grace: 10_000 })
    let n = 0
    const factory = async () => {
      await sleep(10)
      return ++n
    }
    const first = cache.getOrSet('k', factory)
    await vi.advanceTimersByTimeAsync(10)
    expect(await first).toBe(1)
    await vi.advanceTimersByTimeAsync(70)
    expect(cache.peek('k')).toBeUndefined() // peek and get return fresh values only
    expect(await cache.getOrSet('k', factory)).toBe(1) // stale, refresh started
    expect(await cache.getOrSet('k', factory)).toBe(1) // still stale, no second refresh
    await vi.advanceTimersByTimeAsync(10)
    expect(await cache.getOrSet('k', factory)).toBe(2)
    expect(n).toBe(2)
    expect(cache.stats().staleServed).toBe(2)
    expect(await cache.get('k')).toBe(2)
  })

  it('grace: serves stale when the factory throws; rejects without stale', async () => {
    await using cache = createCache({ ttl: 20, grace: 10_000 })
    await cache.getOrSet('k', () => 'old')
    await vi.advanceTimersByTimeAsync(40)
    const failing = () => Promise.reject(new Error('db down'))
    // stale is served immediately anyway; the background refresh fails and keeps the stale value
    expect(await cache.getOrSet('k', failing)).toBe('old')
    await vi.advanceTimersByTimeAsync(10)
    expect(await cache.getOrSet('k', failing)).toBe('old')
    // grace backoff (10 s): the failed factory is not called again on the second request
    expect(cache.stats().factoryErrors).toBe(1)
    await expect(cache.getOrSet('other', failing)).rejects.toThrow('db down')
  })

  it('hardTimeout: rejects with FactoryTimeoutError at hardTimeout without stale; the late value still lands', async () => {
    await using cache = createCache()
    const factory = capture<CacheFactoryEvent>('hotpath:cache:factory')
    const call = track(cache.getOrSet('slow', () => later(200, 'late'), { hardTimeout: 30 }))
    const rejected = expect(call.promise).rejects.toBeInstanceOf(FactoryTimeoutError)
    await vi.advanceTimersByTimeAsync(29)
    expect(call.settled).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    await rejected
    await vi.advanceTimersByTimeAsync(170)
    factory.stop()
    expect(cache.peek('slow')).toBe('late')
    expect(cache.stats().factoryTimeouts).toBe(1)
    expect(factory.messages.some((m) => m.timedOut === 'hard' && m.durationMs === 30)).toBe(true)
  })

  it('softTimeout: waits that long for a fresh value, then serves stale and lets the refresh land', async () => {
    await using cache = createCache({ ttl: 10, grace: 10_000 })
    await cache.getOrSet('k', () => 'v1')
    await vi.advanceTimersByTimeAsync(30)
    // fast refresh: the caller gets the fresh value
    const fast = cache.getOrSet('k', () => later(5, 'v2'), { softTimeout: 200, ttl: 30 })
    await vi.advanceTimersByTimeAsync(5)
    expect(await fast).toBe('v2')
    await vi.advanceTimersByTimeAsync(50)
    // slow refresh: stale after softTimeout, value lands later
    const slow = track(cache.getOrSet('k', () => later(150, 'v3'), { softTimeout: 20, ttl: 10_000 }))
    await vi.advanceTimersByTimeAsync(19)
    expect(slow.settled).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(slow.settled).toBe(true)
    expect(await slow.promise).toBe('v2')
    expect(await cache.get('k')).toBeUndefined() // still refreshing
    await vi.advanceTimersByTimeAsync(130)
    expect(await cache.get('k')).toBe('v3')
    expect(cache.stats().factoryTimeouts).toBe(1)
  })

  it('hardTimeout with stale serves stale; the refresh still lands', async () => {
    await using cache = createCache({ ttl: 10, grace: 10_000 })
    await cache.getOrSet('k', () => 'old')
    await vi.advanceTimersByTimeAsync(30)
    const call = track(
      cache.getOrSet('k', () => later(100, 'new'), { softTimeout: 1000, hardTimeout: 20, ttl: 10_000 }),
    )
    await vi.advanceTimersByTimeAsync(20)
    expect(call.settled).toBe(true)
    expect(await call.promise).toBe('old')
    await vi.advanceTimersByTimeAsync(80)
    expect(cache.peek('k')).toBe('new')
  })

  it('adaptive TTL doubles when the value did not change and halves when it did', async () => {
    await using cache = createCache({ ttl: 40, adaptiveTtl: { min: 10, max: 160 } })
    let value = 'same'
    const factory = () => value
    await cache.getOrSet('k', factory) // 40
    await vi.advanceTimersByTimeAsync(50)
    expect(cache.peek('k')).toBeUndefined()
    await cache.getOrSet('k', factory) // same -> 80
    expect(cache.stats().adaptive).toEqual({ grew: 1, shrank: 0 })
    await vi.advanceTimersByTimeAsync(79)
    expect(cache.peek('k')).toBe('same') // still fresh: ttl is now 80
    await vi.advanceTimersByTimeAsync(21)
    value = 'changed'
    await cache.getOrSet('k', factory) // changed -> 40
    expect(cache.stats().adaptive).toEqual({ grew: 1, shrank: 1 })
    await vi.advanceTimersByTimeAsync(39)
    expect(cache.peek('k')).toBe('changed')
    await vi.advanceTimersByTimeAsync(2)
    expect(cache.peek('k')).toBeUndefined()
  })

  it('wrap memoizes by arguments', async () => {
    await using cache = createCache()
    let calls = 0
    async function double(x: number) {
      calls++
      return x * 2
    }
    const cached = cache.wrap(double)
    expect(await cached(2)).toBe(4)
    expect(await cached(2)).toBe(4)
    expect(await cached(3)).toBe(6)
    expect(calls).toBe(2)
    expect(cache.peek('wrap:double:[d2]')).toBe(4) // type-tagged argument key
    const custom = cache.wrap(async (id: string) => id.toUpperCase(), { key: (id) => `up:${id}` })
    expect(await custom('a')).toBe('A')
    expect(cache.peek('up:a')).toBe('A')
  })
})

describe('getOrSet races with invalidation', () => {
  it('a value whose factory started before invalidateTags / clear / delete is not kept', async () => {
    await using cache = createCache()
    const slow = (v: string) => () => later(40, v)
    const tagged = cache.getOrSet('t', slow('old-tagged'), { tags: ['x'] })
    await using other = createCache()
    const cleared = other.getOrSet('c', slow('old-cleared'))
    const deleted = cache.getOrSet('d', slow('old-deleted'))
    await vi.advanceTimersByTimeAsync(10)
    await cache.invalidateTags(['x'])
    await cache.delete('d')
    await other.clear()
    await vi.advanceTimersByTimeAsync(30)
    // the callers still get what their factory produced ...
    expect(await tagged).toBe('old-tagged')
    expect(await deleted).toBe('old-deleted')
    // ... but it is not served afterwards
    expect(await cache.get('t')).toBeUndefined()
    expect(await cache.get('d')).toBeUndefined()
    expect(await cleared).toBe('old-cleared')
    expect(await other.get('c')).toBeUndefined()
    expect(await cache.getOrSet('t', () => 'new', { tags: ['x'] })).toBe('new')
    expect(await cache.get('t')).toBe('new')
  })
})
