// Redis misbehaving: a private redis-server that is killed, restarted and frozen.
import { type PrivateRedis, requireRedis, startPrivateRedis } from '@hotpath/test-helpers'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type Cache, type CacheOptions, createCache } from '../src/index.ts'
import { capture, eventually, sleep } from './helpers.ts'

let available = false
beforeAll(async () => {
  available = await requireRedis()
})

let redis: PrivateRedis
const open: Cache[] = []
function make(options: CacheOptions = {}): Cache {
  const cache = createCache({ namespace: 'chaos', l2: { redisUrl: redis.url }, l2Timeout: 50, ...options })
  open.push(cache)
  return cache
}
beforeEach(async (ctx) => {
  if (!available) ctx.skip()
  redis = await startPrivateRedis()
})
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()))
  await redis?.stop()
})

describe('Redis killed, restarted, frozen', () => {
  it('1,000 in-flight getOrSet calls all resolve when Redis is killed mid-run, and the cache recovers', async () => {
    const l2Timeout = 50
    const factoryMs = 20
    const cache = make({ l2Timeout, breaker: { threshold: 5, halfOpenAfter: 100 } })
    await cache.set('warm', 1) // connected
    expect(cache.stats().l2Errors).toBe(0)

    const calls = Array.from({ length: 1000 }, (_, i) => {
      const t0 = performance.now()
      return cache
        .getOrSet(`k${i}`, async () => {
          await sleep(factoryMs)
          return i
        })
        .then((v) => ({ v, ms: performance.now() - t0 }))
    })
    await redis.kill()
    const results = await Promise.all(calls)
    expect(results.map((r) => r.v)).toEqual(Array.from({ length: 1000 }, (_, i) => i))
    const slowest = Math.max(...results.map((r) => r.ms))
    // none hangs past l2Timeout + factory time (+ slack for a loaded CI machine)
    expect(slowest).toBeLessThan(l2Timeout + factoryMs + 400)
    const s = cache.stats()
    expect(s.l2Errors + s.l2Timeouts).toBeGreaterThan(0) // Redis really died under the calls
    expect(s.factoryCalls).toBe(1000)
    expect(cache.peek('k999')).toBe(999) // L1 still serves

    // while Redis is down: reads fall back to L1 / factory, writes to L1, nothing hangs
    const t0 = performance.now()
    await cache.set('down', 'x')
    expect(await cache.get('down')).toBe('x')
    expect(await cache.getOrSet('down2', () => 'y')).toBe('y')
    expect(performance.now() - t0).toBeLessThan(l2Timeout * 3 + 200)

    await redis.start()
    const reader = make({ l1: false })
    await eventually(
      async () => {
        await cache.set('after', 'recovered')
        // (under heavy load a probe can time out after it landed: wait for the breaker too)
        return (await reader.get('after')) === 'recovered' && cache.stats().breaker === 'closed'
      },
      10_000,
      'L2 writes and reads work again after restart',
    )
    expect(cache.stats().breaker).toBe('closed')
  })

  it('the breaker opens after consecutive failures, stops calling Redis, and closes after recovery', async () => {
    const states = capture('hotpath:cache:breaker')
    try {
      const cache = make({ l1: false, breaker: { threshold: 3, halfOpenAfter: 100 } })
      await cache.set('k', 'v')
      expect(await cache.get('k')).toBe('v')
      await redis.kill()
      for (let i = 0; i < 3; i++) expect(await cache.get('k')).toBeUndefined()
      expect(cache.stats().breaker).toBe('open')
      const errors = cache.stats().l2Errors + cache.stats().l2Timeouts
      const t0 = performance.now()
      for (let i = 0; i < 100; i++) expect(await cache.get(`x${i}`)).toBeUndefined()
      expect(performance.now() - t0).toBeLessThan(100) // short-circuited, not 100 timeouts
      expect(cache.stats().l2Errors + cache.stats().l2Timeouts).toBe(errors)

      await redis.start()
      await eventually(
        async () => {
          await cache.set('k2', 'v2')
          return cache.stats().breaker === 'closed'
        },
        10_000,
        'breaker closes',
      )
      expect(await cache.get('k2')).toBe('v2')
    } finally {
      states.stop()
    }
    const seen = states.messages.map((m) => m.state)
    expect(seen[0]).toBe('open')
    expect(seen).toContain('half-open')
    expect(seen.at(-1)).toBe('closed')
  })

  it('a frozen Redis (half-open socket) costs at most l2Timeout per call', async () => {
    const errors = capture('hotpath:cache:l2:error')
    try {
      const cache = make({ l1: false, l2Timeout: 40, breaker: { threshold: 100, halfOpenAfter: 1000 } })
      await cache.set('k', 'v')
      redis.freeze()
      const t0 = performance.now()
      expect(await cache.get('k')).toBeUndefined()
      expect(await cache.getOrSet('g', () => 'factory')).toBe('factory')
      await cache.set('s', 1)
      expect(performance.now() - t0).toBeLessThan(40 * 4 + 300)
      expect(cache.stats().l2Timeouts).toBeGreaterThanOrEqual(3)
      redis.thaw()
    } finally {
      errors.stop()
    }
    expect(errors.messages.some((m) => m.timeout === true && m.cache === 'chaos')).toBe(true)
  })

  it('a cache whose Redis is down from the start works from L1 and connects later', async () => {
    await redis.kill()
    const cache = make({ breaker: { threshold: 2, halfOpenAfter: 100 } })
    const t0 = performance.now()
    expect(await cache.getOrSet('k', () => 1)).toBe(1)
    expect(await cache.get('k')).toBe(1)
    expect(performance.now() - t0).toBeLessThan(500)
    await redis.start()
    const reader = make({ l1: false })
    await eventually(
      async () => {
        await cache.set('later', 2)
        return (await reader.get('later')) === 2
      },
      10_000,
      'connected after start',
    )
  })

  it('flushes L1 after a bus reconnect (pub/sub is at-most-once)', async () => {
    const cache = createCache({ namespace: 'chaos', bus: { redisUrl: redis.url } })
    open.push(cache)
    await eventually(() => cache.stats().bus?.connected === true, 5000, 'bus connected')
    await cache.set('k', 'v')
    expect(cache.peek('k')).toBe('v')
    await redis.kill()
    await eventually(() => cache.stats().bus?.connected === false, 5000, 'bus disconnected')
    await cache.set('k2', 'v2') // the publish fails quietly (counted), the L1 write stands
    expect(cache.peek('k2')).toBe('v2')
    await redis.start()
    await eventually(() => cache.stats().bus?.reconnects === 1, 10_000, 'bus reconnected')
    expect(cache.peek('k')).toBeUndefined()
    expect(cache.peek('k2')).toBeUndefined()
    expect(cache.stats().bus!.errors).toBeGreaterThan(0)
  })
})
