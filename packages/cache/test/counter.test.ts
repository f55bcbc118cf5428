// increment(): fixed-window counters. Without L2 the count is this process's own (driven by a manual
// clock); on Redis it is one atomic EVAL, so two caches sharing Redis (two processes) never lose a count.
import { createClient } from '@redis/client'
import { redisUrl, requireRedis, startPrivateRedis } from '@hotpath/test-helpers'
import Keyv from 'keyv'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCache, HotpathError } from '../src/index.ts'
import { manualClock } from './manual-clock.ts'
import { useRedisCaches } from './redis-caches.ts'

describe('increment without L2', () => {
  it('counts per key within a window that starts at the first increment', async () => {
    const clock = manualClock()
    const cache = createCache({ ttl: 1_000, clock })
    expect(await cache.increment('client-a')).toBe(1)
    expect(await cache.increment('client-a', { by: 4 })).toBe(5)
    expect(await cache.increment('client-b')).toBe(1)
    clock.advance(999)
    expect(await cache.increment('client-a', { by: -2 })).toBe(3) // later increments do not extend it
    clock.advance(1)
    expect(await cache.increment('client-a')).toBe(1) // a new window
    expect(await cache.increment('short', { ttl: 10 })).toBe(1)
    clock.advance(10)
    expect(await cache.increment('short')).toBe(1)
    // its own keyspace: the plain entries of the same key are untouched
    expect(await cache.get('client-a')).toBeUndefined()
    await cache.set('client-a', 'a value')
    expect(await cache.increment('client-a')).toBe(2)
    expect(await cache.get('client-a')).toBe('a value')
    await cache.close()
  })

  it('rejects bad keys and options with coded errors, and any call after close()', async () => {
    const cache = createCache()
    await expect(cache.increment('')).rejects.toMatchObject({ code: 'HOTPATH_CACHE_INVALID_KEY' })
    await expect(cache.increment('k', { by: 1.5 })).rejects.toMatchObject({
      code: 'HOTPATH_CACHE_INVALID_OPTION',
    })
    await expect(cache.increment('k', { ttl: 0 })).rejects.toMatchObject({
      code: 'HOTPATH_CACHE_INVALID_OPTION',
    })
    await expect(cache.increment('k', { window: 5 } as never)).rejects.toMatchObject({
      code: 'HOTPATH_CACHE_INVALID_OPTION',
    })
    await cache.close()
    await expect(cache.increment('k')).rejects.toMatchObject({ code: 'HOTPATH_CACHE_CLOSED' })
  })

  it('forgets expired counters once there are many (memory stays bounded)', async () => {
    const clock = manualClock()
    const cache = createCache({ ttl: 100, clock })
    for (let i = 0; i < 30_000; i++) await cache.increment(`old-${i}`)
    clock.advance(1_000) // expired for 900 ms: swept at most a second after the last sweep
    for (let i = 0; i < 5; i++) await cache.increment(`new-${i}`)
    const counts = (cache as unknown as { counts: { size: number } }).counts
    expect(counts.size).toBeLessThan(10_000)
    await cache.close()
  })
})

describe('increment on Redis', () => {
  const fx = useRedisCaches(() => ({ l2: { redisUrl: redisUrl() }, l2Timeout: 10_000, ttl: 60_000 }))
  let raw: ReturnType<typeof createClient>
  beforeAll(async () => {
    if (!(await requireRedis())) return
    raw = createClient({ url: redisUrl() })
    raw.on('error', () => {})
    await raw.connect()
  })
  afterAll(() => {
    if (raw?.isOpen) raw.destroy()
  })

  it('two caches sharing Redis count every increment exactly once', async () => {
    const a = fx.make()
    const b = fx.make()
    await Promise.all([a.ready(), b.ready()])
    const counts = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).increment('client-1')),
    )
    // every caller saw a different count: 1..200, none lost, none repeated
    expect([...counts].sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))
    expect(await a.increment('client-1', { by: 0 })).toBe(200)
  })

  it('sets the window once, on the first increment (the server keeps the TTL)', async () => {
    const a = fx.make()
    await a.increment('w', { ttl: 5_000 })
    const key = `${fx.ns.prefix}:__hp:count:w`
    const first = await raw.pTTL(key)
    expect(first).toBeGreaterThan(0)
    expect(first).toBeLessThanOrEqual(5_000)
    await raw.pExpire(key, 3_000) // stands for time passing: a later increment must not extend it
    await a.increment('w', { ttl: 5_000 })
    const after = await raw.pTTL(key)
    expect(after).toBeGreaterThan(0)
    expect(after).toBeLessThanOrEqual(3_000)
    expect(await raw.get(key)).toBe('2')
  })

  it('a corrupt counter is a coded error, dropped, and the next increment starts a new window', async () => {
    const a = fx.make()
    const key = `${fx.ns.prefix}:__hp:count:bad`
    await raw.set(key, 'not a number')
    const error = await a.increment('bad').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HotpathError)
    expect(error).toMatchObject({ code: 'HOTPATH_CACHE_COUNTER_UNAVAILABLE' })
    expect(await a.increment('bad')).toBe(1)
    expect(a.stats().l2Corrupt).toBe(1)
  })

  it('refuses to count silently apart when the store cannot increment atomically (Keyv)', async () => {
    const cache = createCache({ l2: new Keyv() })
    fx.track(cache)
    await expect(cache.increment('k')).rejects.toMatchObject({
      code: 'HOTPATH_CACHE_COUNTER_UNAVAILABLE',
      message: expect.stringContaining('cannot increment atomically'),
    })
  })

  it('rejects with a coded error, within its deadline, when Redis is gone', async () => {
    const redis = await startPrivateRedis()
    const cache = createCache({ l2: { redisUrl: redis.url }, l2Timeout: 200 })
    fx.track(cache)
    expect(await cache.increment('k')).toBe(1)
    await redis.kill()
    await expect(cache.increment('k')).rejects.toMatchObject({
      code: 'HOTPATH_CACHE_COUNTER_UNAVAILABLE',
    })
    await fx.closeAll()
    await redis.stop()
  })
})
