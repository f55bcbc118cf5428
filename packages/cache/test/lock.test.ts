// Issue 11 defect 9: the lock is renewed while its factory runs, its fallback is an explicit policy, and a
// factory failing during grace is retried at most once per graceBackoff.
import { type RedisNamespace, redisNamespace, redisUrl, requireRedis } from '@hotpath/test-helpers'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type Cache, type CacheOptions, createCache } from '../src/index.ts'
import { manualClock } from './manual-clock.ts'

let available = false
beforeAll(async () => {
  available = await requireRedis()
})

describe('lock (defect 9)', () => {
  let ns: RedisNamespace | undefined
  const open: Cache[] = []
  function make(options: CacheOptions = {}): Cache {
    ns ??= redisNamespace()
    const cache = createCache({
      namespace: ns.prefix,
      l2: { redisUrl: redisUrl() },
      l2Timeout: 10_000, // about the lock, not deadlines
      ...options,
    })
    open.push(cache)
    return cache
  }
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()))
    await ns?.cleanup()
    ns = undefined
  })

  it('a factory taking 3x lockTtl runs once across two instances (the holder renews its lock)', async (ctx) => {
    if (!available) ctx.skip()
    const a = make({ lockTtl: 600, lockPollInterval: 20 })
    const b = make({ lockTtl: 600, lockPollInterval: 20 })
    await Promise.all([a.ready(), b.ready()])
    let runs = 0
    const factory = async (): Promise<string> => {
      runs++
      await new Promise((r) => setTimeout(r, 1_800))
      return `v${runs}`
    }
    const first = a.getOrSet('slow', factory, { lock: true })
    await new Promise((r) => setTimeout(r, 50))
    const second = b.getOrSet('slow', factory, { lock: true })
    expect(await Promise.all([first, second])).toEqual(['v1', 'v1'])
    expect(runs).toBe(1)
    expect(b.stats().locks).toMatchObject({ waited: 1, fallback: 0 })
  })

  it("lockFallback 'fail' rejects with a coded error when the lock cannot be taken; 'run' runs (counted)", async () => {
    const down = { redisUrl: 'redis://127.0.0.1:1' }
    await using failing = createCache({
      l2: down,
      connectTimeout: 100,
      closeTimeout: 100,
      lockFallback: 'fail',
    })
    await expect(failing.getOrSet('k', () => 1, { lock: true })).rejects.toMatchObject({
      code: 'HOTPATH_CACHE_LOCK_UNAVAILABLE',
    })
    expect(failing.stats().locks.fallback).toBe(1)
    expect(failing.stats().factoryCalls).toBe(0)
    await using running = createCache({
      l2: down,
      connectTimeout: 100,
      closeTimeout: 100,
      lockFallback: 'run',
    })
    expect(await running.getOrSet('k', () => 2, { lock: true })).toBe(2)
    expect(running.stats().locks.fallback).toBe(1)
  })
})

describe('grace backoff (defect 9)', () => {
  const settle = (): Promise<void> => new Promise((r) => setImmediate(r))

  it('a factory failing during grace is retried at most once per graceBackoff; stale served in between', async () => {
    const clock = manualClock()
    await using cache = createCache({ clock, ttl: 1_000, grace: 600_000 })
    let calls = 0
    let fail = false
    const factory = (): number => {
      calls++
      if (fail) throw new Error('down')
      return calls
    }
    expect(await cache.getOrSet('k', factory)).toBe(1)
    clock.advance(1_001) // stale from now on
    fail = true
    // 100 s of requests every 100 ms: with the default graceBackoff (10 s) the factory runs every 10 s
    for (let i = 0; i < 1_000; i++) {
      expect(await cache.getOrSet('k', factory)).toBe(1)
      await settle()
      clock.advance(100)
    }
    expect(calls).toBe(1 + 10)
    fail = false
    clock.advance(10_000)
    await cache.getOrSet('k', factory) // stale served, refresh behind it succeeds
    await settle()
    expect(calls).toBe(12)
    expect(await cache.getOrSet('k', factory)).toBe(12)
  })

  it('graceBackoff is an option (ms)', async () => {
    const clock = manualClock()
    await using cache = createCache({ clock, ttl: 1_000, grace: 60_000, graceBackoff: 1_000 })
    let calls = 0
    const factory = (): number => {
      calls++
      if (calls > 1) throw new Error('down')
      return calls
    }
    await cache.getOrSet('k', factory)
    clock.advance(1_001)
    for (let i = 0; i < 50; i++) {
      await cache.getOrSet('k', factory)
      await settle()
      clock.advance(100)
    }
    expect(calls).toBe(1 + 5)
  })
})
