import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { PerformanceReport } from '@hotpath/metrics'
import { freshSchema, requirePostgres } from '@hotpath/test-helpers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp, type Order } from '../src/app.ts'
import { runDemo } from '../src/demo.ts'
import { seed } from '../src/schema.ts'
import { createServices, type Mode, type ServiceConfig } from '../src/services.ts'
import { startUpstream, type Upstream } from '../src/upstream.ts'

let dir: string
let upstream: Upstream

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'orders-api-test-'))
  upstream = await startUpstream(1)
})
afterAll(async () => {
  await upstream.close()
  await rm(dir, { recursive: true, force: true })
})

async function startApp(mode: Mode, extra: Partial<ServiceConfig> = {}) {
  const services = createServices({
    mode,
    sqliteFile: join(dir, `${mode}.db`),
    upstreamOrigin: upstream.origin,
    ...extra,
  })
  await seed(services.db, 50)
  const app = buildApp(services)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  return {
    services,
    origin,
    async close() {
      await app.close()
      await services.close()
    },
  }
}

describe('orders-api (optimized, SQLite)', () => {
  let app: Awaited<ReturnType<typeof startApp>>
  beforeAll(async () => {
    app = await startApp('optimized')
  })
  afterAll(() => app.close())

  it('serves an order with its customer and converted total, and the timing headers', async () => {
    const res = await fetch(`${app.origin}/orders/7`)
    expect(res.status).toBe(200)
    const order = (await res.json()) as Order
    expect(order).toMatchObject({
      id: 7,
      customer: { id: 1, name: 'Customer 1' },
      total: { currency: 'EUR' },
    })
    expect(order.total.usd).toBeCloseTo(order.total.cents / 0.92 / 100, 1)
    expect(res.headers.get('x-response-time')).toMatch(/ms$/)
    expect(Number(res.headers.get('x-request-count'))).toBeGreaterThan(0)
    expect(res.headers.get('x-db-time')).toMatch(/^\d+\.\d{3}ms$/)
  })

  it('answers a repeated read from the cache: no database time, no upstream call', async () => {
    await fetch(`${app.origin}/orders/8`)
    const upstreamBefore = upstream.requests
    const res = await fetch(`${app.origin}/orders/8`)
    expect(res.status).toBe(200)
    expect(res.headers.get('x-db-time')).toBe('0.000ms')
    expect(upstream.requests).toBe(upstreamBefore)
    expect(app.services.cache?.stats().l1Hits).toBeGreaterThan(0)
  })

  it('rejects bad ids and reports missing orders without caching them', async () => {
    expect((await fetch(`${app.origin}/orders/abc`)).status).toBe(400)
    expect((await fetch(`${app.origin}/orders/999999`)).status).toBe(404)
    expect(app.services.cache?.peek('order:999999')).toBeUndefined()
  })

  it('invalidates the cached order list when an order is written', async () => {
    const list = async () => {
      const body = (await (await fetch(`${app.origin}/orders?customer=2&limit=100`)).json()) as {
        orders: unknown[]
      }
      return body.orders.length
    }
    const before = await list()
    expect(await list()).toBe(before) // served from the query cache
    const created = await fetch(`${app.origin}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ customer: 2, totalCents: 1234, currency: 'EUR' }),
    })
    expect(created.status).toBe(201)
    expect(await list()).toBe(before + 1)
    const bad = await fetch(`${app.origin}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ customer: 'x' }),
    })
    expect(bad.status).toBe(400)
  })

  it('exposes Prometheus metrics and a performance report', async () => {
    const text = await (await fetch(`${app.origin}/metrics`)).text()
    expect(text).toContain('http_server_request_duration_seconds_bucket')
    expect(text).toContain('db_client_operation_duration_seconds_bucket')
    const report = (await (await fetch(`${app.origin}/debug/performance`)).json()) as PerformanceReport
    expect(report.routes.map((r) => r.route)).toContain('/orders/:id')
    expect(Array.isArray(report.recommendations)).toBe(true)
  })
})

describe('orders-api (baseline)', () => {
  it('calls the upstream on every request', async () => {
    const app = await startApp('baseline')
    try {
      const before = upstream.requests
      for (let i = 0; i < 3; i++) expect((await fetch(`${app.origin}/orders/3`)).status).toBe(200)
      expect(upstream.requests - before).toBe(3)
      expect(app.services.cache).toBeUndefined()
    } finally {
      await app.close()
    }
  })
})

describe('orders-api on PostgreSQL', () => {
  it('serves the same routes from a real PostgreSQL schema', async (ctx) => {
    if (!(await requirePostgres())) return ctx.skip()
    const schema = await freshSchema()
    const app = await startApp('optimized', { postgresUrl: schema.url })
    try {
      const res = await fetch(`${app.origin}/orders/11`)
      expect(res.status).toBe(200)
      expect(await res.json()).toMatchObject({ id: 11, customer: { id: 2 } })
      expect(app.services.db.system).toBe('postgresql')
    } finally {
      await app.close()
      await schema.drop()
    }
  })
})

describe('demo', () => {
  it('runs both modes under load and renders the before/after table', async () => {
    const demo = await runDemo({ durationMs: 700, connections: 8, hotSet: 50, log: () => {} })
    const [before, after] = demo.runs
    expect(before?.mode).toBe('baseline')
    expect(after?.mode).toBe('optimized')
    expect(before?.result.requests.errors).toBe(0)
    expect(after?.result.requests.errors).toBe(0)
    expect(after?.result.requests.ok).toBeGreaterThan(0)
    // The HTTP cache and the order cache mean far fewer upstream calls for the same kind of traffic.
    expect(after?.upstreamRequests).toBeLessThan(before?.upstreamRequests ?? 0)
    expect(demo.table).toMatch(/\| throughput \(req\/s\) \| [\d.]+ \| [\d.]+ \| [\d.]+x more \|/)
  })
})
