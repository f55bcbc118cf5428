import { HotpathError } from '@hotpath/core'
import { capture } from '@hotpath/test-helpers'
import { describe, expect, it, vi } from 'vitest'
import {
  CacheClosedError,
  type CacheDeleteEvent,
  type CacheEvictEvent,
  type CacheGetEvent,
  type CacheSetEvent,
  createCache,
  InvalidKeyError,
  InvalidOptionError,
} from '../src/index.ts'

describe('L1 basics', () => {
  it('sets, gets, peeks, has, deletes and clears', async () => {
    await using cache = createCache({ namespace: 'core' })
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
      await using cache = createCache({ ttl: 30 })
      await cache.set('k', 'v')
      await cache.set('long', 'v', { ttl: 10_000 })
      expect(cache.peek('k')).toBe('v')
      await vi.advanceTimersByTimeAsync(25)
      expect(cache.peek('k')).toBe('v')
      await vi.advanceTimersByTimeAsync(10)
      expect(cache.peek('k')).toBeUndefined()
      expect(await cache.get('k')).toBeUndefined()
      expect(cache.peek('long')).toBe('v')
    } finally {
      vi.useRealTimers()
    }
  })

  it('evicts by count and by bytes and counts eviction reasons', async () => {
    await using cache = createCache({ l1: { max: 3 } })
    for (const k of ['a', 'b', 'c', 'd']) await cache.set(k, k)
    expect(cache.peek('a')).toBeUndefined()
    expect(cache.stats().evictions.evict).toBe(1)
    await cache.set('d', 'again')
    expect(cache.stats().evictions.set).toBe(1)

    await using bytes = createCache({
      l1: { max: 100, maxBytes: 100, sizeCalculation: (v) => String(v).length },
    })
    await bytes.set('x', 'x'.repeat(60))
    await bytes.set('y', 'y'.repeat(60))
    expect(bytes.peek('x')).toBeUndefined()
    expect(bytes.peek('y')).toBe('y'.repeat(60))
    expect(bytes.stats().bytes).toBe(60)
  })

  it('publishes diagnostics only to subscribers, with the documented payloads', async () => {
    await using cache = createCache({ namespace: 'diag', l1: { max: 1 } })
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
})

describe('tags', () => {
  it('invalidates every entry carrying a tag, lazily, and keeps others', async () => {
    await using cache = createCache()
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
})

describe('bad input', () => {
  it('rejects invalid options naming the option and the value', () => {
    const cases: [unknown, string][] = [
      [{ ttl: 0 }, 'ttl'],
      [{ ttl: -5 }, 'ttl'],
      [{ ttl: Number.NaN }, 'ttl'],
      [{ grace: -1 }, 'grace'],
      [{ namespace: 'has space' }, 'namespace'],
      [{ l1: { max: 0 } }, 'l1.max'],
      [{ l1: 'big' }, 'l1'],
      [{ l2: 42 }, 'l2'],
      [{ l2: { redisUrl: 'http://x' } }, 'l2.redisUrl'],
      [{ bus: { redisUrl: 'nope' } }, 'bus.redisUrl'],
      [{ l2Timeout: 0 }, 'l2Timeout'],
      [{ adaptiveTtl: { min: 10, max: 5 } }, 'adaptiveTtl.max'],
      [{ breaker: { threshold: 1.5 } }, 'breaker.threshold'],
      [{ tll: 5 }, 'tll'],
      [{ l1: { maxx: 5 } }, 'l1.maxx'],
      [{ breaker: { treshold: 5 } }, 'breaker.treshold'],
      [{ clock: { now: () => 1 } }, 'clock'],
      [{ lockPollInterval: '20' }, 'lockPollInterval'],
      ['x', 'options'],
    ]
    for (const [options, name] of cases) {
      const create = () => createCache(options as never)
      expect(create, name).toThrow(InvalidOptionError)
      expect(create, name).toThrow(HotpathError)
      expect(create, name).toThrow(
        expect.objectContaining({
          code: 'HOTPATH_CACHE_INVALID_OPTION',
          message: expect.stringContaining(`invalid option "${name}": received `),
          details: expect.objectContaining({ option: name }),
        }),
      )
    }
  })

  it('rejects bad keys, values, ttls and factories with coded errors', async () => {
    await using cache = createCache()
    await expect(cache.get(42 as never)).rejects.toBeInstanceOf(InvalidKeyError)
    await expect(cache.set('', 1)).rejects.toMatchObject({ code: 'HOTPATH_CACHE_INVALID_KEY' })
    await expect(cache.set('__hp:gen', 1)).rejects.toMatchObject({ code: 'HOTPATH_CACHE_INVALID_KEY' })
    expect(() => cache.peek({} as never)).toThrow(InvalidKeyError)
    await expect(cache.set('k', undefined)).rejects.toMatchObject({ code: 'HOTPATH_CACHE_INVALID_VALUE' })
    await expect(cache.set('k', 1, { ttl: 0 })).rejects.toMatchObject({
      code: 'HOTPATH_CACHE_INVALID_OPTION',
      message: expect.stringContaining('ttl'),
    })
    await expect(cache.set('k', 1, { tags: [1] as never })).rejects.toMatchObject({
      code: 'HOTPATH_CACHE_INVALID_OPTION',
    })
    await expect(cache.getOrSet('k', 'nope' as never)).rejects.toMatchObject({
      code: 'HOTPATH_CACHE_INVALID_OPTION',
    })
    await expect(cache.getOrSet('k', () => 1, { ttl: -1 })).rejects.toMatchObject({
      code: 'HOTPATH_CACHE_INVALID_OPTION',
    })
    await expect(cache.invalidateTags('t' as never)).rejects.toMatchObject({
      code: 'HOTPATH_CACHE_INVALID_OPTION',
    })
    expect(() => cache.wrap(async () => 1)).toThrow(InvalidOptionError)
  })

  it('rejects new work after close; close is idempotent', async () => {
    const cache = createCache()
    await cache.set('a', 1)
    await cache.close()
    await cache.close()
    await cache[Symbol.asyncDispose]()
    await expect(cache.get('a')).rejects.toBeInstanceOf(CacheClosedError)
    await expect(cache.set('a', 1)).rejects.toMatchObject({ code: 'HOTPATH_CACHE_CLOSED' })
    await expect(cache.getOrSet('a', () => 1)).rejects.toMatchObject({ code: 'HOTPATH_CACHE_CLOSED' })
    await expect(cache.delete('a')).rejects.toMatchObject({ code: 'HOTPATH_CACHE_CLOSED' })
    await expect(cache.clear()).rejects.toMatchObject({ code: 'HOTPATH_CACHE_CLOSED' })
    await expect(cache.invalidateTags(['x'])).rejects.toMatchObject({ code: 'HOTPATH_CACHE_CLOSED' })
  })
})
