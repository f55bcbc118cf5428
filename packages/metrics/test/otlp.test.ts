import { freePort, startHttpServer } from '@hotpath/test-helpers'
import { describe, expect, it } from 'vitest'
import { createMetrics } from '../src/index.ts'

describe('OTLP/HTTP push', () => {
  it('pushes the pre-aggregated and observable instruments with the resource to a collector', async () => {
    const bodies: string[] = []
    const collector = await startHttpServer(async (req, res) => {
      let body = ''
      for await (const chunk of req) body += chunk
      bodies.push(
        `${req.method} ${req.url} ${req.headers['content-type']} ${req.headers['x-token']}\n${body}`,
      )
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{}')
    })
    try {
      const metrics = createMetrics({
        serviceName: 'orders-api',
        runtime: { sampleInterval: 50 },
        otlp: { url: `${collector.origin}/v1/metrics`, interval: 200, headers: { 'x-token': 'secret' } },
      })
      metrics.recordServerRequest({ method: 'GET', route: '/orders/:id', statusCode: 200, durationMs: 12 })
      metrics.observe({ stats: () => ({ kind: 'cache', name: 'users', entries: 3 }) })
      const deadline = Date.now() + 10_000
      while (bodies.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
      await metrics.close() // flushes once more
      const body = bodies.join('\n')
      expect(body).toContain('POST /v1/metrics application/json secret')
      expect(body).toContain('http.server.request.duration')
      expect(body).toContain('hotpath.cache.entries')
      expect(body).toContain('nodejs.eventloop.delay.p99')
      expect(body).toContain('orders-api')
      expect(body).toContain('service.instance.id')
    } finally {
      await collector.close()
    }
  })

  it('close() does not hang when the collector is unreachable', async () => {
    const port = await freePort()
    const metrics = createMetrics({
      runtime: false,
      otlp: { url: `http://127.0.0.1:${port}/v1/metrics`, interval: 100, timeout: 500 },
      closeTimeout: 1500,
    })
    metrics.recordServerRequest({ method: 'GET', route: '/', statusCode: 200, durationMs: 1 })
    await new Promise((r) => setTimeout(r, 250))
    const started = performance.now()
    await expect(metrics.close()).resolves.toBeUndefined()
    expect(performance.now() - started).toBeLessThan(5000)
  })
})
