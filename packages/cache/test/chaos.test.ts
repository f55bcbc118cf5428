// Redis misbehaving: a private redis-server that is killed, restarted and frozen.
// Real time on purpose (a real server dies): the tests judge what the cache recorded (timeouts,
// errors, breaker states) and use generous deadlines for "nothing hangs", never tight wall clocks.
import { setTimeout as sleep } from 'node:timers/promises'
import {
  capture,
  eventually,
  type PrivateRedis,
  requireRedis,
  startPrivateRedis,
} from '@hotpath/test-helpers'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  type Cache,
  type CacheBreakerEvent,
  type CacheL2ErrorEvent,
  type CacheOptions,
  createCache,
  HotpathError,
} from '../src/index.ts'
import { manualClock } from './manual-clock.ts'

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
/** A hang shows up as a clear failure after `ms` (a generous deadline, not a measurement). */
function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms)
  })
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer))
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
    const cache = make({ l2Timeout: 50, breaker: { threshold: 5, halfOpenAfter: 100 } })
    await cache.set('warm', 1) // connected
    expect(cache.stats().l2Errors).toBe(0)

    const calls = Array.from({ length: 1000 }, (_, i) =>
      cache.getOrSet(`k${i}`, async () => {
        await sleep(20)
        return i
      }),
    )
    await redis.kill()
    // every call resolves with its value: none hangs (each L2 call is cut at l2Timeout)
    const results = await within(10_000, Promise.all(calls), '1,000 getOrSet calls')
    expect(results).toEqual(Array.from({ length: 1000 }, (_, i) => i))
    const s = cache.stats()
    expect(s.l2Errors + s.l2Timeouts).toBeGreaterThan(0) // Redis really died under the calls
    expect(s.factoryCalls).toBe(1000)
    expect(cache.peek('k999')).toBe(999) // L1 still serves

    // while Redis is down: reads fall back to L1 / factory, writes to L1, nothing hangs
    await within(5_000, cache.set('down', 'x'), 'set while down')
    expect(await within(5_000, cache.get('down'), 'get while down')).toBe('x')
    expect(
      await within(
        5_000,
        cache.getOrSet('down2', () => 'y'),
        'getOrSet while down',
      ),
    ).toBe('y')

    await redis.start()
    const reader = make({ l1: false })
    await eventually(
      async () => {
        await cache.set('after', 'recovered')
        // (under heavy load a probe can time out after it landed: wait for the breaker too)
        return (await reader.get('after')) === 'recovered' && cache.stats().breaker === 'closed'
      },
      { what: 'L2 writes and reads work again after restart' },
    )
    expect(cache.stats().breaker).toBe('closed')
  })

  it('the breaker opens after consecutive failures, stops calling Redis, and closes after recovery', async () => {
    const states = capture<CacheBreakerEvent>('hotpath:cache:breaker')
    try {
      // The breaker's open time (halfOpenAfter) runs on the injected clock: it stays open until the
      // test moves the clock, however slow the machine. (A killed server refuses at once: these L2
      // calls end in errors, not deadlines.)
      const clock = manualClock()
      const cache = make({ l1: false, clock, breaker: { threshold: 3, halfOpenAfter: 100 } })
      await cache.set('k', 'v')
      expect(await cache.get('k')).toBe('v')
      await redis.kill()
      for (let i = 0; i < 3; i++) expect(await within(5_000, cache.get('k'), 'get')).toBeUndefined()
      expect(cache.stats().breaker).toBe('open')
      const errors = cache.stats().l2Errors + cache.stats().l2Timeouts
      // short-circuited while open: no call reaches Redis, so none fails or times out
      for (let i = 0; i < 100; i++) expect(await cache.get(`x${i}`)).toBeUndefined()
      expect(cache.stats().breaker).toBe('open')
      expect(cache.stats().l2Errors + cache.stats().l2Timeouts).toBe(errors)
      // halfOpenAfter has passed while Redis is still down: the next call is a trial, it fails, and the
      // breaker opens again. (After the restart the client's reconnect may close the breaker before any
      // trial runs, so the half-open state is shown here, where its outcome does not race the reconnect.)
      clock.advance(100)
      expect(await within(5_000, cache.get('trial'), 'get')).toBeUndefined()
      expect(cache.stats().breaker).toBe('open')

      await redis.start()
      await eventually(
        async () => {
          clock.advance(100) // the next call is the half-open probe
          await within(5_000, cache.set('k2', 'v2'), 'set')
          return cache.stats().breaker === 'closed'
        },
        { what: 'breaker closes' },
      )
      expect(await cache.get('k2')).toBe('v2')
    } finally {
      states.stop()
    }
    const seen = states.messages.map((m) => m.state)
    expect(seen.slice(0, 3)).toEqual(['open', 'half-open', 'open'])
    expect(seen.at(-1)).toBe('closed')
  })

  it('a frozen Redis (half-open socket) costs at most l2Timeout per call', async () => {
    const errors = capture<CacheL2ErrorEvent>('hotpath:cache:l2:error')
    try {
      const cache = make({ l1: false, l2Timeout: 40, breaker: { threshold: 100, halfOpenAfter: 1000 } })
      await cache.set('k', 'v')
      redis.freeze()
      // a frozen server never answers: only the deadline ends these calls
      expect(await within(5_000, cache.get('k'), 'get')).toBeUndefined()
      expect(
        await within(
          5_000,
          cache.getOrSet('g', () => 'factory'),
          'getOrSet',
        ),
      ).toBe('factory')
      await within(5_000, cache.set('s', 1), 'set')
      expect(cache.stats().l2Timeouts).toBeGreaterThanOrEqual(3)
      redis.thaw()
    } finally {
      errors.stop()
    }
    const timeouts = errors.messages.filter((m) => m.timeout && m.cache === 'chaos')
    expect(timeouts.length).toBeGreaterThanOrEqual(3)
    for (const m of timeouts) {
      expect(m.error).toBeInstanceOf(HotpathError)
      expect(m.error).toMatchObject({ code: 'HOTPATH_CACHE_L2_TIMEOUT', details: { timeout: 40 } })
    }
  })

  it('a cache whose Redis is down from the start works from L1 and connects later', async () => {
    await redis.kill()
    const errors = capture<CacheL2ErrorEvent>('hotpath:cache:l2:error')
    const cache = make({ breaker: { threshold: 2, halfOpenAfter: 100 } })
    try {
      // the L2 read cannot connect: it ends at l2Timeout (recorded as a timeout), then the factory runs
      expect(
        await within(
          5_000,
          cache.getOrSet('k', () => 1),
          'getOrSet',
        ),
      ).toBe(1)
      expect(await cache.get('k')).toBe(1) // an L1 hit
    } finally {
      errors.stop()
    }
    expect(errors.messages.some((m) => m.operation === 'get' && m.timeout)).toBe(true)
    await redis.start()
    const reader = make({ l1: false })
    await eventually(
      async () => {
        await cache.set('later', 2)
        return (await reader.get('later')) === 2
      },
      { what: 'connected after start' },
    )
  })

  it('flushes L1 after a bus reconnect (pub/sub is at-most-once)', async () => {
    const cache = createCache({ namespace: 'chaos', bus: { redisUrl: redis.url } })
    open.push(cache)
    await eventually(() => cache.stats().bus?.connected === true, { what: 'bus connected' })
    await cache.set('k', 'v')
    expect(cache.peek('k')).toBe('v')
    await redis.kill()
    await eventually(() => cache.stats().bus?.connected === false, { what: 'bus disconnected' })
    await cache.set('k2', 'v2') // the publish fails quietly (counted), the L1 write stands
    expect(cache.peek('k2')).toBe('v2')
    await redis.start()
    await eventually(() => cache.stats().bus?.reconnects === 1, { what: 'bus reconnected' })
    expect(cache.peek('k')).toBeUndefined()
    expect(cache.peek('k2')).toBeUndefined()
    expect(cache.stats().bus!.errors).toBeGreaterThan(0)
  })
})
