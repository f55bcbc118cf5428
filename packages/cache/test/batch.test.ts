// getMany / setMany / deleteMany on a private Redis: the server's own command counters show how many
// commands and round trips a batch costs; values, misses and the bus behave like the single-key calls.
import { createClient } from '@redis/client'
import { eventually, type PrivateRedis, requireRedis, startPrivateRedis } from '@hotpath/test-helpers'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type Cache, type CacheOptions, createCache, HotpathError } from '../src/index.ts'
import { manualClock } from './manual-clock.ts'

let available = false
beforeAll(async () => {
  available = await requireRedis()
})
let redis: PrivateRedis
let raw: ReturnType<typeof createClient>
const open: Cache[] = []
function make(options: CacheOptions = {}): Cache {
  const cache = createCache({
    namespace: 'batch',
    l2: { redisUrl: redis.url },
    bus: { redisUrl: redis.url },
    l2Timeout: 10_000, // these tests are about batching, not deadlines
    ...options,
  })
  open.push(cache)
  return cache
}
beforeEach(async (ctx) => {
  if (!available) ctx.skip()
  redis = await startPrivateRedis()
  raw = createClient({ url: redis.url })
  raw.on('error', () => {}) // the server is killed in one test
  await raw.connect()
})
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()))
  raw?.destroy()
  await redis?.stop()
})

/** Calls of each command the server has executed so far (INFO commandstats). */
async function commandCalls(): Promise<Record<string, number>> {
  const info = await raw.sendCommand<string>(['INFO', 'commandstats'])
  const calls: Record<string, number> = {}
  for (const m of info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) calls[m[1]!] = Number(m[2])
  return calls
}
async function delta(run: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = await commandCalls()
  await run()
  const after = await commandCalls()
  const d: Record<string, number> = {}
  for (const [k, v] of Object.entries(after))
    if (v !== (before[k] ?? 0) && k !== 'info') d[k] = v - (before[k] ?? 0)
  return d
}

describe('getMany', () => {
  it('answers in order from L1, then the rest with one MGET; misses are undefined', async () => {
    const writer = make({ l1: false })
    await writer.setMany<unknown>([
      { key: 'a', value: 1 },
      { key: 'b', value: { b: true } },
      { key: 'c', value: 'three' },
      { key: 'warm', value: 0 },
    ])
    const reader = make({ bus: undefined })
    await reader.set('local', 'from L1') // in reader's L1 (and L2)
    expect(await reader.get('warm')).toBe(0) // the first entry read from L2 also syncs invalidation stamps
    let values: unknown[] = []
    const calls = await delta(async () => {
      values = await reader.getMany(['a', 'local', 'nope', 'b', 'c'])
    })
    expect(values).toEqual([1, 'from L1', undefined, { b: true }, 'three'])
    expect(calls).toEqual({ mget: 1 }) // one round trip for the four keys L1 did not have
    expect(await reader.getMany(['a', 'b', 'c'])).toEqual([1, { b: true }, 'three']) // now L1 hits
    expect(reader.stats()).toMatchObject({ l2Hits: 4, misses: 1, l1Hits: 4 })
  })

  it('is all misses, never an error, while Redis is down; bad keys are coded errors', async () => {
    const cache = make({
      l1: false,
      bus: undefined,
      l2Timeout: 200,
      breaker: { threshold: 1, halfOpenAfter: 60_000 },
    })
    await cache.set('a', 1)
    await redis.kill()
    expect(await cache.getMany(['a', 'b'])).toEqual([undefined, undefined])
    expect(cache.stats().breaker).toBe('open')
    await expect(cache.getMany(['a', ''])).rejects.toMatchObject({ code: 'HOTPATH_CACHE_INVALID_KEY' })
    await expect(cache.getMany('a' as unknown as string[])).rejects.toBeInstanceOf(HotpathError)
  })
})

describe('setMany', () => {
  it('writes every entry with its own options, pipelined', async () => {
    const cache = make({ bus: undefined })
    const calls = await delta(() =>
      cache.setMany([
        { key: 'x', value: 1, ttl: 5_000 },
        { key: 'y', value: 2, tags: ['t'] },
        { key: 'z', value: 3 },
      ]),
    )
    expect(calls).toEqual({ set: 3 })
    expect(await raw.pTTL('batch:x')).toBeLessThanOrEqual(5_000)
    await cache.invalidateTags(['t'])
    expect(await cache.getMany(['x', 'y', 'z'])).toEqual([1, undefined, 3])
  })

  it('validates every entry before writing any', async () => {
    const cache = make({ bus: undefined })
    await expect(
      cache.setMany([
        { key: 'ok', value: 1 },
        { key: 'bad-ttl', value: 2, ttl: -1 },
      ]),
    ).rejects.toMatchObject({ code: 'HOTPATH_CACHE_INVALID_OPTION' })
    await expect(cache.setMany([{ key: 'undef', value: undefined }])).rejects.toMatchObject({
      code: 'HOTPATH_CACHE_INVALID_VALUE',
    })
    expect(await raw.exists('batch:ok')).toBe(0)
    expect(cache.peek('ok')).toBeUndefined()
  })
})

describe('deleteMany', () => {
  it('one DEL, one bus message, every instance drops the keys; returns how many existed', async () => {
    const a = make()
    const b = make()
    await eventually(() => a.stats().bus?.connected === true && b.stats().bus?.connected === true, {
      what: 'bus connected',
    })
    await a.setMany(['k1', 'k2', 'k3'].map((key) => ({ key, value: key })))
    expect(await b.getMany(['k1', 'k2', 'k3'])).toEqual(['k1', 'k2', 'k3']) // in b's L1 now
    const published = a.stats().bus!.published
    let existed = 0
    const calls = await delta(async () => {
      existed = await a.deleteMany(['k1', 'k2', 'k3', 'never'])
      await eventually(() => b.peek('k1') === undefined && b.peek('k3') === undefined, {
        what: 'b drops the keys',
      })
    })
    expect(existed).toBe(3)
    expect(calls).toMatchObject({ del: 1, publish: 1 })
    expect(a.stats().bus!.published - published).toBe(1)
    expect(await b.getMany(['k1', 'k2', 'k3'])).toEqual([undefined, undefined, undefined])
  })
})

describe('invalidation stamps without a bus', () => {
  it('concurrent reads that find the stamps out of date share one MGET of them', async () => {
    const clock = manualClock()
    const writer = make({ bus: undefined, l1: false })
    const keys = Array.from({ length: 40 }, (_, i) => `s${i}`)
    await writer.setMany(keys.map((key) => ({ key, value: key })))
    const reader = make({ bus: undefined, l1: false, clock, invalidationSyncInterval: 1_000 })
    expect(await reader.get('s0')).toBe('s0') // the first read syncs the clear generation
    clock.advance(1_500) // the synced stamp is now older than invalidationSyncInterval
    let values: unknown[] = []
    const calls = await delta(async () => {
      values = await Promise.all(keys.map((k) => reader.get(k)))
    })
    expect(values).toEqual(keys)
    // one GET per key, and the stamps read once for all of them (one MGET per reader was the herd)
    expect(calls).toEqual({ get: 40, mget: 1 })
  })
})
