import Fastify from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { fastifyMetrics } from '../src/fastify.ts'
import { createMetrics, type Metrics } from '../src/index.ts'
import { samples } from './helpers.ts'

let metrics: Metrics | undefined
afterEach(async () => {
  await metrics?.close()
  metrics = undefined
})

async function app(options: Record<string, unknown> = {}) {
  metrics = createMetrics({ runtime: false })
  const m = metrics
  const server = Fastify()
  await server.register(fastifyMetrics, { metrics: m, ...options })
  // routes registered in an encapsulated child context are still seen (skip-override)
  await server.register(async (child) => {
    child.get('/orders/:id', async (req) => ({ id: (req.params as { id: string }).id }))
    child.get('/boom', async () => {
      throw new Error('boom')
    })
  })
  server.get('/metrics', (req, reply) => {
    reply.hijack()
    m.handler(req.raw, reply.raw)
  })
  return { server, m }
}

describe('@hotpath/metrics/fastify', () => {
  it('records http.server.request.duration by route template and sets X-Response-Time and X-Request-Count', async () => {
    const { server, m } = await app()
    try {
      const r1 = await server.inject({ method: 'GET', url: '/orders/123' })
      const r2 = await server.inject({ method: 'GET', url: '/orders/456?x=1' })
      expect(r1.statusCode).toBe(200)
      expect(r1.headers['x-response-time']).toMatch(/^\d+\.\d{3}ms$/)
      expect(r1.headers['x-request-count']).toBe('1')
      expect(r2.headers['x-request-count']).toBe('2')
      expect((await server.inject({ url: '/boom' })).statusCode).toBe(500)
      expect((await server.inject({ url: '/nope/789' })).statusCode).toBe(404)
      const text = await m.text()
      const counts = samples(text).filter((x) => x.name === 'http_server_request_duration_seconds_count')
      expect(counts.find((x) => x.labels.http_route === '/orders/:id')?.value).toBe(2)
      expect(counts.find((x) => x.labels.http_route === '/boom')?.labels.error_type).toBe('500')
      const notFound = counts.find((x) => x.labels.http_response_status_code === '404')
      expect(notFound?.value).toBe(1)
      expect(text).not.toContain('/orders/123')
      expect(text).not.toContain('/nope/789')
      expect(m.serverRequests).toBe(4)
      const report = await m.report()
      expect(report.routes.find((x) => x.route === '/orders/:id')?.count).toBe(2)
      expect(report.routes.find((x) => x.route === '/boom')?.errorRate).toBe(1)
    } finally {
      await server.close()
    }
  })

  it('serves /metrics from the app itself (no second port)', async () => {
    const { server } = await app()
    try {
      await server.inject({ url: '/orders/1' })
      const res = await server.inject({ url: '/metrics' })
      expect(res.statusCode).toBe(200)
      expect(res.body).toContain('http_server_request_duration_seconds_bucket')
    } finally {
      await server.close()
    }
  })

  it('headers can be renamed or turned off', async () => {
    const { server } = await app({ responseTimeHeader: 'Server-Timing-Ms', requestCountHeader: false })
    try {
      const res = await server.inject({ url: '/orders/1' })
      expect(res.headers['server-timing-ms']).toBeDefined()
      expect(res.headers['x-request-count']).toBeUndefined()
      expect(res.headers['x-response-time']).toBeUndefined()
    } finally {
      await server.close()
    }
  })

  it('rejects registration without a metrics instance or with a bad header name', async () => {
    const server = Fastify()
    await expect(server.register(fastifyMetrics, {} as never).ready()).rejects.toMatchObject({
      code: 'HOTPATH_METRICS_INVALID_OPTION',
    })
    await server.close()
    const other = Fastify()
    metrics = createMetrics({ runtime: false })
    await expect(
      other.register(fastifyMetrics, { metrics, responseTimeHeader: 'bad header' }).ready(),
    ).rejects.toThrow(/responseTimeHeader/)
    await other.close()
  })

  it('the subpath module does not import fastify', async () => {
    const { readFile } = await import('node:fs/promises')
    const source = await readFile(new URL('../src/fastify.ts', import.meta.url), 'utf8')
    expect(source).not.toMatch(/from ['"]fastify['"]/)
    expect((fastifyMetrics as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')]).toBe(true)
  })
})
