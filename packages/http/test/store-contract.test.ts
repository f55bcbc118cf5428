// Issue 18, defects 4 and 5: the CacheStore contract undici holds its own stores to (the behaviours of undici's
// test/cache-interceptor/cache-store-test-utils.js, written in our style), run memory-only and over Redis.
import { createCache } from '@hotpath/cache'
import {
  eventually,
  type RedisNamespace,
  redisNamespace,
  redisUrl,
  requireRedis,
} from '@hotpath/test-helpers'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createUndiciCacheStore, type HotpathCacheStore } from '../src/index.ts'
import type { CacheKey, CacheValue, GetResult } from '../src/undici-types.ts'

const closers: (() => Promise<unknown>)[] = []
afterEach(async () => {
  vi.useRealTimers()
  await Promise.all(closers.splice(0).map((c) => c()))
})

let redis = false
beforeAll(async () => {
  redis = await requireRedis()
})

const key = (path = '/', headers: Record<string, string> = {}): CacheKey => ({
  origin: 'localhost',
  method: 'GET',
  path,
  headers,
})
function value(
  headers: Record<string, string>,
  staleIn: number,
  deleteIn: number,
  vary?: Record<string, string>,
): CacheValue {
  const now = Date.now()
  return {
    statusCode: 200,
    statusMessage: '',
    headers,
    ...(vary === undefined ? {} : { vary }),
    cacheControlDirectives: {},
    cachedAt: now,
    staleAt: now + staleIn,
    deleteAt: now + deleteIn,
  }
}
/** Writes the body and ends the stream, without waiting for it to finish (as undici does). */
function write(store: HotpathCacheStore, k: CacheKey, v: CacheValue, body: string[]): void {
  const ws = store.createWriteStream(k, v)
  expect(ws).toBeDefined()
  for (const chunk of body) ws?.write(Buffer.from(chunk))
  ws?.end()
}
async function expectResult(result: GetResult | undefined, v: CacheValue, body: string): Promise<void> {
  expect(result).toBeDefined()
  const r = result as GetResult
  const chunks = r.body === undefined ? [] : Array.isArray(r.body) ? r.body : [r.body]
  expect(Buffer.concat(chunks.map((c) => Buffer.from(c as Buffer))).toString()).toBe(body)
  for (const name of Object.keys(v) as (keyof CacheValue)[]) expect(r[name]).toStrictEqual(v[name])
  expect(Object.getOwnPropertySymbols(r.headers)).toEqual([])
}

const backends = [
  { name: 'memory-only', l2: false },
  { name: 'with Redis L2', l2: true },
] as const

describe.each(backends)('the undici CacheStore contract, $name', ({ l2 }) => {
  let ns: RedisNamespace | undefined
  function makeStore(): HotpathCacheStore {
    ns ??= redisNamespace()
    const cache = createCache({ namespace: ns.prefix, ...(l2 ? { l2: { redisUrl: redisUrl() } } : {}) })
    closers.push(() => cache.close())
    return createUndiciCacheStore(cache)
  }
  afterEach(async () => {
    await ns?.cleanup()
    ns = undefined
  })
  /** A miss is undefined; memory-only it is undefined synchronously (no Promise). */
  async function expectMiss(store: HotpathCacheStore, k: CacheKey): Promise<void> {
    const got = store.get(k)
    if (!l2) expect(got).toBeUndefined()
    expect(await got).toBeUndefined()
  }

  it('has the interface', (ctx) => {
    if (l2 && !redis) ctx.skip()
    const store = makeStore()
    expect([typeof store.get, typeof store.createWriteStream, typeof store.delete]).toEqual([
      'function',
      'function',
      'function',
    ])
  })

  it('stores a response, readable right after its stream ended, and tells resources apart', async (ctx) => {
    if (l2 && !redis) ctx.skip()
    const store = makeStore()
    const v = value({ foo: 'bar' }, 10_000, 20_000)
    await expectMiss(store, key())
    write(store, key(), v, ['asd', '123'])
    await expectResult(await store.get(structuredClone(key())), v, 'asd123')
    const other = value({ foo: 'bar' }, 10_000, 20_000)
    await expectMiss(store, key('/asd'))
    write(store, key('/asd'), other, ['asd', '123'])
    await expectResult(await store.get(structuredClone(key('/asd'))), other, 'asd123')
  })

  it('returns a stale response until deleteAt, then nothing', async (ctx) => {
    if (l2 && !redis) ctx.skip()
    vi.useFakeTimers({ toFake: ['Date'] })
    const store = makeStore()
    const v = value({ foo: 'bar' }, 1_000, 5_000)
    await expectMiss(store, key())
    write(store, key(), v, ['asd', '123'])
    vi.advanceTimersByTime(1_500)
    await expectResult(await store.get(structuredClone(key())), v, 'asd123')
    vi.advanceTimersByTime(6_000)
    expect(await store.get(key())).toBeUndefined()
  })

  it('overwrites a stale response', async (ctx) => {
    if (l2 && !redis) ctx.skip()
    vi.useFakeTimers({ toFake: ['Date'] })
    const store = makeStore()
    write(store, key(), value({ foo: 'bar' }, 1_000, 5_000), ['asd', '123'])
    vi.advanceTimersByTime(1_500)
    expect(await store.get(key())).toBeDefined()
    const v2 = value({ foo: 'baz' }, 1_000, 5_000)
    write(store, key(), v2, ['foo', '123'])
    await expectResult(await store.get(structuredClone(key())), v2, 'foo123')
  })

  it('picks the variant the Vary values select', async (ctx) => {
    if (l2 && !redis) ctx.skip()
    const store = makeStore()
    const a = key('/', { 'some-header': 'hello world' })
    const b = key('/', { 'some-header': 'hello world2' })
    const va = value({ foo: 'bar' }, 1_000, 1_000, { 'some-header': 'hello world' })
    const vb = value({ foo: 'bar' }, 1_000, 1_000, { 'some-header': 'hello world2' })
    await expectMiss(store, a)
    write(store, a, va, ['asd', '123'])
    await expectResult(await store.get(structuredClone(a)), va, 'asd123')
    expect(await store.get(b)).toBeUndefined()
    write(store, b, vb, ['asd', '456'])
    await expectResult(await store.get(structuredClone(a)), va, 'asd123')
    await expectResult(await store.get(structuredClone(b)), vb, 'asd456')
  })
})

describe('Redis L2 and Vary', () => {
  it('a second variant is a hit right after its write ended, as memory-only', async (ctx) => {
    if (!redis) ctx.skip()
    const ns = redisNamespace()
    closers.push(() => ns.cleanup())
    const writer = createCache({ namespace: ns.prefix, l2: { redisUrl: redisUrl() }, l2Timeout: 5_000 })
    const reader = createCache({ namespace: ns.prefix, l2: { redisUrl: redisUrl() }, l2Timeout: 5_000 })
    closers.push(
      () => writer.close(),
      () => reader.close(),
    )
    await writer.get('warm-up') // connected: the L2 read below is judged, not the connect
    // the first variant is in Redis only (written by another instance), so #commit has to read L2
    const first = createUndiciCacheStore(reader)
    const va = value({ vary: 'accept' }, 60_000, 60_000, { accept: 'a' })
    const ws = first.createWriteStream(key('/v', { accept: 'a' }), va)
    await new Promise<void>((resolve) => ws?.end(Buffer.from('A'), () => resolve()))
    const store = createUndiciCacheStore(writer)
    const vb = value({ vary: 'accept' }, 60_000, 60_000, { accept: 'b' })
    write(store, key('/v', { accept: 'b' }), vb, ['B'])
    await new Promise((resolve) => setImmediate(resolve))
    // right after the response ended (undici's next request): the new variant is in L1 already
    await expectResult(store.get(key('/v', { accept: 'b' })) as GetResult | undefined, vb, 'B')
    // the other variant, read from L2 by the write, joins the list once the write settled
    await eventually(() => store.stats().pendingWrites === 0, { what: 'the write of variant b' })
    await expectResult(await store.get(key('/v', { accept: 'a' })), va, 'A')
  })
})
