// The Fastify app: orders with their customer and a converted total (one DB read, one upstream call).
import metricsPlugin from '@hotpath/metrics/fastify'
import Fastify, { type FastifyInstance } from 'fastify'
import { sendError } from './errors.ts'
import { registerIdempotency } from './idempotency.ts'
import { type Services, sqlFor } from './services.ts'

interface OrderRow {
  id: number
  customer_id: number
  status: string
  total_cents: number
  currency: string
  created_at: string
  name: string
  country: string
}

export interface Order {
  id: number
  status: string
  createdAt: string
  customer: { id: number; name: string; country: string }
  total: { cents: number; currency: string; usd: number }
}

/** Times database work of one request, for the X-DB-Time header. */
class DbTimer {
  ms = 0
  async time<T>(work: () => Promise<T>): Promise<T> {
    const started = performance.now()
    try {
      return await work()
    } finally {
      this.ms += performance.now() - started
    }
  }
}

export function buildApp(services: Services): FastifyInstance {
  const { db, cache, http, metrics } = services
  const app = Fastify({ logger: false })
  app.register(metricsPlugin, { metrics })
  registerIdempotency(app, services)

  const orderSql = sqlFor(
    db,
    `SELECT o.id, o.customer_id, o.status, o.total_cents, o.currency, o.created_at, c.name, c.country
       FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = $1`,
  )
  const listSql = sqlFor(
    db,
    `SELECT id, status, total_cents, currency, created_at FROM orders
      WHERE customer_id = $1 ORDER BY created_at DESC LIMIT $2`,
  )
  const insertSql = sqlFor(
    db,
    // The database assigns the id (rowid / identity); the SELECT makes an unknown customer insert nothing.
    `INSERT INTO orders (customer_id, status, total_cents, currency, created_at)
     SELECT id, 'open', $2, $3, $4 FROM customers WHERE id = $1
     RETURNING id, customer_id, status, total_cents, currency, created_at`,
  )

  async function rateToUsd(currency: string): Promise<number> {
    const url = `/rates/${currency}`
    const body = http
      ? await (await http.request(url)).json()
      : await (await fetch(`${services.upstreamOrigin}${url}`)).json()
    return 1 / (body as { rate: number }).rate
  }

  async function loadOrder(id: number, timer: DbTimer): Promise<Order | undefined> {
    const [row] = await timer.time(() => db.query<OrderRow>(orderSql, [id]))
    if (!row) return undefined
    const perUsd = await rateToUsd(row.currency)
    return {
      id: row.id,
      status: row.status,
      createdAt: row.created_at,
      customer: { id: row.customer_id, name: row.name, country: row.country },
      total: {
        cents: row.total_cents,
        currency: row.currency,
        usd: Math.round(row.total_cents * perUsd) / 100,
      },
    }
  }

  app.get('/health', async () => ({ status: 'ok', mode: services.mode }))

  app.get<{ Params: { id: string } }>('/orders/:id', async (request, reply) => {
    const id = Number(request.params.id)
    if (!Number.isInteger(id) || id <= 0)
      return reply.code(400).send({ error: 'id must be a positive integer' })
    const timer = new DbTimer()
    const order = cache
      ? await cache.getOrSet(
          `order:${id}`,
          async (ctx) => {
            const found = await loadOrder(id, timer)
            if (!found) ctx.skip()
            return found
          },
          { tags: [`order:${id}`] },
        )
      : await loadOrder(id, timer)
    reply.header('X-DB-Time', `${timer.ms.toFixed(3)}ms`)
    if (!order) return reply.code(404).send({ error: `order ${id} not found` })
    return order
  })

  app.get<{ Querystring: { customer?: string; limit?: string } }>('/orders', async (request, reply) => {
    const customer = Number(request.query.customer)
    const limit = Math.min(Number(request.query.limit ?? 20) || 20, 100)
    if (!Number.isInteger(customer) || customer <= 0) {
      return reply.code(400).send({ error: 'customer must be a positive integer' })
    }
    const timer = new DbTimer()
    const rows = await timer.time(() => db.query(listSql, [customer, limit], cache ? { cache: true } : {}))
    reply.header('X-DB-Time', `${timer.ms.toFixed(3)}ms`)
    return { customer, orders: rows }
  })

  app.post<{ Body: { customer?: number; totalCents?: number; currency?: string } }>(
    '/orders',
    async (request, reply) => {
      const { customer, totalCents, currency } = request.body ?? {}
      if (!Number.isInteger(customer) || !Number.isInteger(totalCents) || typeof currency !== 'string') {
        return reply.code(400).send({ error: 'body needs integer customer, integer totalCents and currency' })
      }
      const timer = new DbTimer()
      // A write through the same database drops every cached query that read `orders`.
      const result = await timer.time(() =>
        db.execute(insertSql, [customer, totalCents, currency, new Date().toISOString().slice(0, 10)]),
      )
      reply.header('X-DB-Time', `${timer.ms.toFixed(3)}ms`)
      const row = result.rows[0] as Omit<OrderRow, 'name' | 'country'> | undefined
      if (!row) return sendError(reply, 422, 'ORDERS_UNKNOWN_CUSTOMER', `customer ${customer} does not exist`)
      const id = Number(row.id)
      reply.header('Location', `/orders/${id}`)
      return reply.code(201).send({
        id,
        status: row.status,
        createdAt: row.created_at,
        customer: { id: Number(row.customer_id) },
        total: { cents: Number(row.total_cents), currency: row.currency },
      })
    },
  )

  app.get('/metrics', (request, reply) => {
    reply.hijack()
    metrics.handler(request.raw, reply.raw)
  })

  app.get('/debug/performance', async () => metrics.report())

  return app
}
