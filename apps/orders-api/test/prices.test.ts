// A fresh upstream answer is served from memory for the rest of its freshness (max-age minus Age), then asked again.
import { createCache } from '@hotpath/cache'
import { createHttpClient } from '@hotpath/http'
import { describe, expect, it } from 'vitest'
import { createPrices, freshFor } from '../src/prices.ts'
import { startUpstream } from '../src/upstream.ts'

describe('prices', () => {
  it('freshFor: max-age minus Age, 0 without a max-age', () => {
    expect(freshFor({ 'cache-control': 'public, max-age=60, stale-if-error=86400' })).toBe(60)
    expect(freshFor({ 'cache-control': 'public, max-age=60', age: '45' })).toBe(15)
    expect(freshFor({ 'cache-control': 'max-age=10', age: '30' })).toBe(0)
    expect(freshFor({ 'cache-control': 'no-cache' })).toBe(0)
    expect(freshFor({})).toBe(0)
  })

  it('a fresh answer needs no request until its max-age has passed on the clock', async () => {
    const upstream = await startUpstream(1, 5)
    const cache = createCache({ namespace: 'prices-test' })
    const http = createHttpClient({ origin: upstream.origin, cache })
    let now = 1_000
    const clock = { now: () => now, epoch: () => 1_700_000_000_000 + now }
    const prices = createPrices(http, upstream.origin, clock)
    try {
      expect(await prices.rate('EUR', {})).toEqual({ value: 0.92, stale: false })
      expect(upstream.requests).toBe(1)
      const asked = http.stats().requests
      now += 4_900
      // Within max-age=5 on the clock: served from memory, the HTTP client is not asked at all.
      expect(await prices.rate('EUR', {})).toEqual({ value: 0.92, stale: false })
      expect(http.stats().requests).toBe(asked)
      now += 200
      // Past it: asked again (the HTTP cache, on its own clock, may still answer it without the upstream).
      expect(await prices.rate('EUR', {})).toEqual({ value: 0.92, stale: false })
      expect(http.stats().requests).toBe(asked + 1)
    } finally {
      await http.close()
      await cache.close()
      await upstream.close()
    }
  })
})
