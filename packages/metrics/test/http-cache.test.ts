// Issue 14 defect 4: responses served from the HTTP client's cache are counted (from hotpath:http:request).
import { createCache } from '@hotpath/cache'
import { createHttpClient } from '@hotpath/http'
import { startHttpServer } from '@hotpath/test-helpers'
import { describe, expect, it } from 'vitest'
import { createMetrics } from '../src/index.ts'
import { samples } from './helpers.ts'

describe('defect 4: the HTTP client cache is visible', () => {
  it('fast-path hits count as lookups and hits of the client cache, in /metrics and the report', async () => {
    await using metrics = createMetrics({ runtime: false })
    metrics.instrument({ db: false })
    const upstream = await startHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=60' })
      res.end('{"rate":1.1}')
    })
    await using cache = createCache({ namespace: 'rates' })
    const http = createHttpClient({ name: 'rates', cache })
    try {
      for (let i = 0; i < 50; i++) await (await http.request(`${upstream.origin}/rates/eur`)).text()
    } finally {
      await http.close()
      await upstream.close()
    }
    const ops = samples(await metrics.text()).filter(
      (s) =>
        s.name === 'hotpath_http_client_cache_operations_total' && s.labels.hotpath_http_client === 'rates',
    )
    const by = Object.fromEntries(ops.map((s) => [s.labels.hotpath_http_cache, s.value]))
    expect(by).toEqual({ miss: 1, hit: 49 })
    const report = await metrics.report()
    expect(report.caches.find((c) => c.name === 'http:rates')).toMatchObject({
      kind: 'http',
      lookups: 50,
      hits: 49,
      misses: 1,
      hitRate: 0.98,
    })
  })
})
