import { eventually, startHttpServer } from '@hotpath/test-helpers'
import { afterEach, describe, expect, it, vi } from 'vitest'
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
      await eventually(() => bodies.length > 0, { what: 'a first OTLP push' })
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

  it('close() resolves at closeTimeout even when the collector never answers (fake time)', async () => {
    // a collector that accepts requests and never answers: the final flush hangs
    const collector = await startHttpServer(() => new Promise<void>(() => {}))
    try {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
      const metrics = createMetrics({
        runtime: false,
        otlp: { url: `${collector.origin}/v1/metrics`, interval: 60_000, timeout: 30_000 },
        closeTimeout: 1500,
      })
      metrics.recordServerRequest({ method: 'GET', route: '/', statusCode: 200, durationMs: 1 })
      let closed = false
      const closing = metrics.close().then(() => {
        closed = true
      })
      await vi.advanceTimersByTimeAsync(1499)
      expect(closed).toBe(false)
      await vi.advanceTimersByTimeAsync(1)
      await closing
      expect(closed).toBe(true)
    } finally {
      vi.useRealTimers()
      await collector.close()
    }
  })
})

afterEach(() => {
  vi.useRealTimers()
})
