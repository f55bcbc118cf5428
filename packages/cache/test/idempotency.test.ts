import { redisNamespace, redisUrl, requireRedis } from '@hotpath/test-helpers'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { createCache, createIdempotencyStore } from '../src/index.ts'

let redisAvailable = false
beforeAll(async () => {
  redisAvailable = await requireRedis()
})

describe('idempotency store', () => {
  it('begin marks in flight, a duplicate learns it, complete stores the response for later duplicates', async () => {
    await using cache = createCache()
    const store = createIdempotencyStore<{ status: number }>(cache)
    expect(await store.begin('req-1')).toEqual({ status: 'started' })
    expect(await store.begin('req-1')).toEqual({ status: 'in-flight' })
    await store.complete('req-1', { status: 201 })
    expect(await store.begin('req-1')).toEqual({ status: 'completed', response: { status: 201 } })
    expect(await store.begin('req-2')).toEqual({ status: 'started' })
    await store.abort('req-2')
    expect(await store.begin('req-2')).toEqual({ status: 'started' })
  })

  it('expires in-flight marks and responses after their TTLs (fake timers)', async () => {
    vi.useFakeTimers()
    try {
      await using cache = createCache()
      const store = createIdempotencyStore(cache, { ttl: 30, inFlightTtl: 20 })
      expect(await store.begin('a')).toEqual({ status: 'started' })
      await vi.advanceTimersByTimeAsync(15)
      expect(await store.begin('a')).toEqual({ status: 'in-flight' })
      await vi.advanceTimersByTimeAsync(10)
      expect(await store.begin('a')).toEqual({ status: 'started' }) // the mark expired
      await store.complete('a', 'done')
      await vi.advanceTimersByTimeAsync(25)
      expect(await store.begin('a')).toEqual({ status: 'completed', response: 'done' })
      await vi.advanceTimersByTimeAsync(10)
      expect(await store.begin('a')).toEqual({ status: 'started' }) // the response expired
    } finally {
      vi.useRealTimers()
    }
  })

  it('is atomic across two instances on Redis: exactly one of concurrent duplicates starts', async (ctx) => {
    if (!redisAvailable) ctx.skip()
    const ns = redisNamespace()
    // A generous l2Timeout: this test is about SET NX atomicity, not deadlines (an L2 call that times
    // out makes each instance decide on its own knowledge, by design).
    const a = createCache({ namespace: ns.prefix, l2: { redisUrl: redisUrl() }, l2Timeout: 10_000 })
    const b = createCache({ namespace: ns.prefix, l2: { redisUrl: redisUrl() }, l2Timeout: 10_000 })
    try {
      await a.set('warm', 1) // both clients connected before the race
      expect(await b.get('warm')).toBe(1)
      const sa = createIdempotencyStore<string>(a)
      const sb = createIdempotencyStore<string>(b)
      const results = await Promise.all([
        sa.begin('pay-1'),
        sb.begin('pay-1'),
        sa.begin('pay-1'),
        sb.begin('pay-1'),
      ])
      expect(results.filter((r) => r.status === 'started')).toHaveLength(1)
      expect(results.filter((r) => r.status === 'in-flight')).toHaveLength(3)
      await sa.complete('pay-1', 'receipt')
      expect(await sb.begin('pay-1')).toEqual({ status: 'completed', response: 'receipt' })
      for (const c of [a, b]) expect(c.stats()).toMatchObject({ l2Errors: 0, l2Timeouts: 0 })
    } finally {
      await a.close()
      await b.close()
      await ns.cleanup()
    }
  })

  it('rejects bad arguments with coded errors', async () => {
    await using cache = createCache()
    expect(() => createIdempotencyStore({} as never)).toThrow(
      expect.objectContaining({ code: 'HOTPATH_CACHE_INVALID_OPTION' }),
    )
    expect(() => createIdempotencyStore(cache, { ttl: 0 })).toThrow(/ttl/)
    expect(() => createIdempotencyStore(cache, { tll: 5 } as never)).toThrow(/options\.tll/)
    const store = createIdempotencyStore(cache)
    await expect(store.begin('' as string)).rejects.toMatchObject({ code: 'HOTPATH_CACHE_INVALID_OPTION' })
  })
})
