import { type RedisNamespace, redisNamespace, redisUrl, requireRedis } from '@hotpath/test-helpers'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type Cache, type CacheOptions, createCache } from '../src/index.ts'
import { capture, eventually, sleep } from './helpers.ts'

let available = false
beforeAll(async () => {
  available = await requireRedis()
})

let ns: RedisNamespace
const open: Cache[] = []
function make(options: CacheOptions = {}): Cache {
  const cache = createCache({
    namespace: ns.prefix,
    l2: { redisUrl: redisUrl() },
    bus: { redisUrl: redisUrl() },
    l2Timeout: 500,
    ...options,
  })
  open.push(cache)
  return cache
}
async function connected(...caches: Cache[]): Promise<void> {
  await eventually(() => caches.every((c) => c.stats().bus?.connected === true), 5000, 'bus connected')
}
beforeEach((ctx) => {
  if (!available) ctx.skip()
  ns = redisNamespace()
})
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()))
  if (available) await ns.cleanup()
})

describe('bus', () => {
  it('keeps the L1s of two instances coherent (set, delete, tags, clear)', async () => {
    const a = make()
    const b = make()
    await connected(a, b)
    const busDiag = capture('hotpath:cache:bus')
    try {
      await a.set('k', 'v1', { tags: ['t'] })
      expect(await b.get('k')).toBe('v1') // via L2, now in b's L1
      expect(b.peek('k')).toBe('v1')

      await a.set('k', 'v2', { tags: ['t'] })
      await eventually(() => b.peek('k') === undefined, 2000, 'b drops k after a set')
      expect(await b.get('k')).toBe('v2')

      await a.delete('k')
      await eventually(() => b.peek('k') === undefined, 2000, 'b drops k after a delete')
      expect(await b.get('k')).toBeUndefined()

      await a.set('tagged', 1, { tags: ['t'] })
      expect(await b.get('tagged')).toBe(1)
      await b.invalidateTags(['t'])
      await eventually(() => a.peek('tagged') === undefined, 2000, 'a honours the tag invalidation')
      expect(await a.get('tagged')).toBeUndefined()

      await b.set('c', 1)
      expect(await a.get('c')).toBe(1)
      await b.clear()
      await eventually(() => a.peek('c') === undefined, 2000, 'a flushes on clear')
      expect(await a.get('c')).toBeUndefined()
    } finally {
      busDiag.stop()
    }
    expect(a.stats().bus!.received).toBeGreaterThanOrEqual(3)
    expect(b.stats().bus!.received).toBeGreaterThanOrEqual(3)
    // messages carry keys and tags only, never values, and name the sender
    const types = new Set(busDiag.messages.map((m) => m.type))
    expect(types).toEqual(new Set(['key', 'tags', 'clear']))
  })

  it('an instance ignores its own messages', async () => {
    const a = make()
    await connected(a)
    await a.set('k', 1)
    await sleep(50)
    expect(a.peek('k')).toBe(1)
    expect(a.stats().bus!.received).toBe(0)
    expect(a.stats().bus!.published).toBe(1)
  })

  it('works as an L1-only invalidation bus without L2', async () => {
    const a = make({ l2: undefined })
    const b = make({ l2: undefined })
    await connected(a, b)
    await a.set('k', 'a')
    await eventually(() => b.stats().bus!.received === 1, 2000, 'b receives a set')
    await b.set('k', 'b')
    await eventually(() => a.peek('k') === undefined, 2000, 'a drops its copy')
    expect(b.peek('k')).toBe('b')
    expect(a.stats().l2Errors).toBe(0)
  })
})

describe('distributed lock', () => {
  it('lock: true runs one factory across two instances; the waiter gets the value', async () => {
    const a = make({ bus: undefined, lockPollInterval: 10 })
    const b = make({ bus: undefined, lockPollInterval: 10 })
    let calls = 0
    const factory = async () => {
      calls++
      await sleep(150)
      return `v${calls}`
    }
    const results = await Promise.all([
      a.getOrSet('k', factory, { lock: true }),
      b.getOrSet('k', factory, { lock: true }),
      a.getOrSet('k', factory, { lock: true }),
      b.getOrSet('k', factory, { lock: true }),
    ])
    expect(calls).toBe(1)
    expect(results).toEqual(['v1', 'v1', 'v1', 'v1'])
    const locks = [a.stats().locks, b.stats().locks]
    expect(locks[0]!.acquired + locks[1]!.acquired).toBe(1)
    expect(locks[0]!.waited + locks[1]!.waited).toBe(1)
  })

  it('a waiter runs the factory itself when the lock holder dies (lock expires)', async () => {
    const a = make({ bus: undefined, lockTtl: 300, lockPollInterval: 10 })
    const b = make({ bus: undefined, lockTtl: 300, lockPollInterval: 10 })
    // a takes the lock and "dies": its factory never settles
    const never = a.getOrSet('k', () => new Promise<string>(() => {}), { lock: true })
    never.catch(() => {})
    await sleep(30)
    const started = Date.now()
    expect(await b.getOrSet('k', () => 'from-b', { lock: true })).toBe('from-b')
    const waited = Date.now() - started
    expect(waited).toBeGreaterThanOrEqual(200)
    expect(waited).toBeLessThan(2_000)
  })
})
