import { createClient } from '@redis/client'
import { capture, eventually, redisUrl, requireRedis } from '@hotpath/test-helpers'
import KeyvRedis from '@keyv/redis'
import Keyv from 'keyv'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CacheGetEvent, createCache } from '../src/index.ts'
import { manualClock } from './manual-clock.ts'
import { useRedisCaches } from './redis-caches.ts'

let available = false
let raw: ReturnType<typeof createClient>
beforeAll(async () => {
  available = await requireRedis()
  if (!available) return
  raw = createClient({ url: redisUrl() })
  raw.on('error', () => {})
  await raw.connect()
})
afterAll(async () => {
  if (raw?.isOpen) raw.destroy()
})

// Generous l2Timeout: these tests are about L2 behaviour, not deadlines (a cold connection on a busy
// machine must not turn a read into a timed-out miss). chaos.test.ts covers deadlines.
const fx = useRedisCaches(() => ({ l2: { redisUrl: redisUrl() }, l2Timeout: 10_000 }))
const { make } = fx

describe('L2 on Redis', () => {
  it('writes `<namespace>:<key>` with an envelope and TTL = ttl + grace', async () => {
    const clock = manualClock(1_700_000_000_000)
    const cache = make({ ttl: 5_000, grace: 1_000, clock })
    const started = performance.now()
    await cache.set('user:1', { name: 'Ada' }, { tags: ['users'] })
    const stored = await raw.get(`${fx.ns.prefix}:user:1`)
    // hp3 <mode> <expiresAt:13> <graceUntil:13> <createdAt µs:16> <tags length>: <tags JSON> <payload>
    const m = /^hp3J(\d{13})(\d{13})(\d{16})(\d+):(.*)$/.exec(stored!)
    expect(m).not.toBeNull()
    const [, expiresAt, graceUntil, createdAt, tagsLength, rest] = m!
    // the envelope's times come from the cache's clock (epoch), exactly
    expect(Number(createdAt)).toBe(1_700_000_000_000 * 1000)
    expect(Number(expiresAt)).toBe(1_700_000_000_000 + 5_000)
    expect(Number(graceUntil)).toBe(1_700_000_000_000 + 6_000)
    expect(JSON.parse(rest!.slice(0, Number(tagsLength)))).toEqual(['users'])
    const body = rest!.slice(Number(tagsLength))
    expect(JSON.parse(body.slice(body.indexOf(':') + 1))).toEqual({ name: 'Ada' })
    expect(Number(body.slice(0, body.indexOf(':')))).toBe(
      Buffer.byteLength(body.slice(body.indexOf(':') + 1)),
    )
    await cache.set('s', 'plain string')
    expect(await raw.get(`${fx.ns.prefix}:s`)).toMatch(/^hp3S\d{42}0:12:plain string$/)
    // Redis counts the key's TTL (ttl + grace) on its own clock from when it got the SET: at most
    // 6,000 ms, minus however long this test took since (judged against the elapsed time, not a guess).
    const pttl = await raw.pTTL(`${fx.ns.prefix}:user:1`)
    const elapsed = performance.now() - started
    expect(pttl).toBeLessThanOrEqual(6_000)
    expect(pttl).toBeGreaterThanOrEqual(6_000 - Math.ceil(elapsed) - 1)
  })

  it('an L2 hit backfills L1 with the remaining TTL, not the full one', async () => {
    // One injected clock for both instances (Redis itself keeps the key for the real 60 s).
    const clock = manualClock()
    const a = make({ ttl: 60_000, clock })
    const b = make({ ttl: 60_000, clock })
    await a.set('k', 'v')
    clock.advance(40_000)
    expect(b.peek('k')).toBeUndefined()
    expect(await b.get('k')).toBe('v')
    expect(b.peek('k')).toBe('v')
    expect(b.stats().l2Hits).toBe(1)
    // b's L1 copy lives for the 20,000 ms the entry had left, not a fresh 60,000
    clock.advance(19_999)
    expect(b.peek('k')).toBe('v')
    clock.advance(2)
    expect(b.peek('k')).toBeUndefined()
  })

  it('round-trips Buffers, Uint8Arrays, Dates, Maps, Sets and BigInts through L2', async () => {
    const a = make()
    const b = make()
    const value = {
      body: Buffer.from('héllo'),
      bytes: new Uint8Array([1, 2, 3]),
      when: new Date('2024-01-02T03:04:05.000Z'),
      map: new Map([['a', 1]]),
      set: new Set(['x']),
      big: 12345678901234567890n,
      nested: [{ b: Buffer.from([0, 255]) }],
    }
    await a.set('bin', value)
    await a.set('plainbuf', Buffer.from('raw'))
    const got = await b.get<typeof value>('bin')
    expect(Buffer.isBuffer(got!.body)).toBe(true)
    expect(got!.body.toString()).toBe('héllo')
    expect(got!.bytes).toBeInstanceOf(Uint8Array)
    expect([...got!.bytes]).toEqual([1, 2, 3])
    expect(got!.when).toEqual(value.when)
    expect(got!.map).toEqual(value.map)
    expect(got!.set).toEqual(value.set)
    expect(got!.big).toBe(value.big)
    expect(got!.nested[0]!.b).toEqual(Buffer.from([0, 255]))
    expect(await b.get('plainbuf')).toEqual(Buffer.from('raw'))
  })

  it('rejects values that cannot be serialized for L2, and keeps nothing', async () => {
    const cache = make()
    const circular: Record<string, unknown> = {}
    circular.self = circular
    await expect(cache.set('c', circular)).rejects.toMatchObject({ code: 'HOTPATH_CACHE_UNSERIALIZABLE' })
    await expect(cache.set('f', { fn: () => 1 })).rejects.toMatchObject({
      code: 'HOTPATH_CACHE_UNSERIALIZABLE',
      message: expect.stringContaining('function'),
    })
    await expect(cache.set('s', Symbol('x'))).rejects.toMatchObject({ code: 'HOTPATH_CACHE_UNSERIALIZABLE' })
    expect(cache.peek('c')).toBeUndefined()
    await expect(cache.getOrSet('g', () => ({ fn() {} }))).rejects.toMatchObject({
      code: 'HOTPATH_CACHE_UNSERIALIZABLE',
    })
  })

  it('a corrupt or foreign value in Redis is a miss, counted and deleted', async () => {
    const cache = make({ l1: false })
    await raw.set(`${fx.ns.prefix}:foreign`, 'not an envelope')
    const head = `${Date.now() + 60_000}${Date.now() + 60_000}${Date.now() * 1000}`
    await raw.set(`${fx.ns.prefix}:broken`, `hp3J${head}0:9:{"value":`)
    await raw.set(`${fx.ns.prefix}:wrongshape`, `hp3Q${head}0:1:1`)
    expect(await cache.get('foreign')).toBeUndefined()
    expect(await cache.get('broken')).toBeUndefined()
    expect(await cache.getOrSet('wrongshape', () => 'fresh')).toBe('fresh')
    expect(cache.stats().l2Corrupt).toBe(3)
    // the deletes are fire and forget: wait for them (generous deadline, no guessed sleep)
    await eventually(
      async () => (await raw.exists([`${fx.ns.prefix}:foreign`, `${fx.ns.prefix}:broken`])) === 0,
      {
        what: 'corrupt values deleted',
      },
    )
    expect(await cache.get('wrongshape')).toBe('fresh')
  })

  it('clear() bumps the generation: older L2 entries are misses for every instance, no SCAN', async () => {
    const a = make({ invalidationSyncInterval: 0 })
    const b = make({ invalidationSyncInterval: 0 })
    await a.set('x', 1)
    await a.set('y', 2)
    expect(await b.get('x')).toBe(1)
    await a.clear()
    expect(await a.get('x')).toBeUndefined()
    expect(await raw.exists(`${fx.ns.prefix}:y`)).toBe(1) // still there, just invalid
    const fresh = make({ invalidationSyncInterval: 0 })
    expect(await fresh.get('y')).toBeUndefined()
    await a.set('x', 3)
    expect(await fresh.get('x')).toBe(3)
  })

  it('invalidateTags reaches entries in L2 written by another instance', async () => {
    const a = make({ invalidationSyncInterval: 0 })
    const b = make({ invalidationSyncInterval: 0, l1: false })
    await a.set('p1', 'one', { tags: ['product:1'] })
    await a.set('p2', 'two', { tags: ['product:2'] })
    expect(await b.get('p1')).toBe('one')
    await a.invalidateTags(['product:1'])
    expect(await b.get('p1')).toBeUndefined()
    expect(await b.get('p2')).toBe('two')
  })

  it('delete removes the key from L2', async () => {
    const a = make()
    await a.set('k', 1)
    expect(await a.delete('k')).toBe(true)
    expect(await raw.exists(`${fx.ns.prefix}:k`)).toBe(0)
    expect(await a.has('k')).toBe(false)
  })

  it('getOrSet reads L2 before running the factory', async () => {
    const a = make()
    const b = make()
    await a.getOrSet('k', () => 'from-a')
    let ran = false
    expect(
      await b.getOrSet('k', () => {
        ran = true
        return 'from-b'
      }),
    ).toBe('from-a')
    expect(ran).toBe(false)
  })

  it('works with a Keyv instance over @keyv/redis and with a Keyv memory store', async () => {
    const adapter = new KeyvRedis(redisUrl())
    const keyv = new Keyv(adapter, { namespace: 'ignored' })
    const cache = make({ l2: keyv })
    await cache.set('k', 'v')
    expect(await raw.get(`${fx.ns.prefix}:k`)).toMatch(/^hp3S/) // our prefix only, no double prefix
    const other = make({ l2: keyv })
    expect(await other.get('k')).toBe('v')
    await cache.close()
    await other.close()
    await adapter.disconnect()

    const memory = new Keyv()
    const clock = manualClock()
    const m1 = createCache({ l2: memory, l1: false, ttl: 40, clock })
    fx.track(m1)
    await m1.set('a', { x: 1 })
    clock.advance(39)
    expect(await m1.get('a')).toEqual({ x: 1 })
    clock.advance(1)
    expect(await m1.get('a')).toBeUndefined() // envelope expiry also applies to stores without TTLs
  })
})

describe('L2 grace and diagnostics across instances', () => {
  it('serves a stale L2 value on factory error, and publishes l2 hits', async () => {
    const clock = manualClock()
    const a = make({ ttl: 50, grace: 10_000, clock })
    const b = make({ ttl: 50, grace: 10_000, clock })
    await a.set('k', 'old')
    clock.advance(80)
    const get = capture<CacheGetEvent>('hotpath:cache:get')
    try {
      // b has no L1 copy: it finds the stale envelope in L2 and serves it at once (refresh fails quietly)
      expect(await b.getOrSet('k', () => Promise.reject(new Error('down')))).toBe('old')
      // with softTimeout the failing refresh is awaited, then the stale value is served
      expect(await b.getOrSet('k', () => Promise.reject(new Error('down')), { softTimeout: 100 })).toBe('old')
      await a.set('fresh', 1)
      expect(await b.get('fresh')).toBe(1)
    } finally {
      get.stop()
    }
    expect(get.messages).toContainEqual({ cache: fx.ns.prefix, key: 'k', result: 'stale', tier: 'l2' })
    expect(get.messages).toContainEqual({ cache: fx.ns.prefix, key: 'fresh', result: 'hit', tier: 'l2' })
    expect(b.stats().staleServed).toBeGreaterThanOrEqual(2)
    expect(b.stats().factoryErrors).toBeGreaterThanOrEqual(1)
  })

  it('stats: entries, approximate bytes, expire evictions', async () => {
    const clock = manualClock()
    const cache = make({ ttl: 30, clock })
    await cache.set('a', 'x'.repeat(100))
    await cache.set('b', 'y'.repeat(100))
    const s = cache.stats()
    expect(s.entries).toBe(2)
    expect(s.bytes).toBeGreaterThanOrEqual(400)
    clock.advance(31)
    expect(cache.peek('a')).toBeUndefined()
    expect(cache.stats().evictions.expire).toBe(1)
  })
})
