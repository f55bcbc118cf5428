import { redisNamespace, redisUrl, requireRedis } from '@hotpath/test-helpers'
import { beforeAll, describe, expect, it } from 'vitest'
import { createCache, createIdempotencyStore } from '../src/index.ts'
import { sleep } from './helpers.ts'

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

  it('expires in-flight marks and responses after their TTLs', async () => {
    await using cache = createCache()
    const store = createIdempotencyStore(cache, { ttl: 30, inFlightTtl: 30 })
    expect(await store.begin('a')).toEqual({ status: 'started' })
    await sleep(50)
    expect(await store.begin('a')).toEqual({ status: 'started' })
    await store.complete('a', 'done')
    await sleep(50)
    expect(await store.begin('a')).toEqual({ status: 'started' })
  })

  it('is atomic across two instances on Redis: exactly one of concurrent duplicates starts', async (ctx) => {
    if (!redisAvailable) ctx.skip()
    const ns = redisNamespace()
    const a = createCache({ namespace: ns.prefix, l2: { redisUrl: redisUrl() }, l2Timeout: 500 })
    const b = createCache({ namespace: ns.prefix, l2: { redisUrl: redisUrl() }, l2Timeout: 500 })
    try {
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
    const store = createIdempotencyStore(cache)
    await expect(store.begin('' as string)).rejects.toMatchObject({ code: 'HOTPATH_CACHE_INVALID_OPTION' })
  })
})
