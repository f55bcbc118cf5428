// The Fastify app: orders with their customer and a converted total (one DB read, one upstream call).
import metricsPlugin from '@hotpath/metrics/fastify'
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify'
import { sendError } from './errors.ts'
import { registerIdempotency } from './idempotency.ts'
import { registerReady } from './ready.ts'
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

/** Largest accepted request body (bytes): an order is a few dozen. */
export const BODY_LIMIT = 64 * 1024
/** PostgreSQL INTEGER (and our ids) stop at 2^31 - 1. */
const MAX_INT = 2_147_483_647
/** Currencies the rates upstream knows. */
export const CURRENCIES = ['EUR', 'GBP', 'JPY', 'USD'] as const

/** Decimal digits only: no sign, hex, exponent, fraction or leading zeros; range checked by `toId`. */
const idString = { type: 'string', pattern: '^[1-9][0-9]{0,9}$' } as const

const orderParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: idString },
} as const

const listQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['customer'],
  properties: { customer: idString, limit: { type: 'string', pattern: '^[1-9][0-9]{0,2}$' } },
} as const

const orderBody = {
  type: 'object',
  additionalProperties: false,
  required: ['customer', 'totalCents', 'currency'],
  properties: {
    customer: { type: 'integer', minimum: 1, maximum: MAX_INT },
    totalCents: { type: 'integer', minimum: 1, maximum: MAX_INT },
    currency: { type: 'string', enum: CURRENCIES },
  },
} as const

/** A validated decimal id string to a number, or undefined when it is above 2^31 - 1. */
function toId(text: string): number | undefined {
  const n = Number(text)
  return n <= MAX_INT ? n : undefined
}

function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      const details = error.validation.map((v) => ({ path: v.instancePath || '/', message: v.message }))
      return sendError(reply, 400, 'ORDERS_VALIDATION', error.message, details)
    }
    const status = error.statusCode ?? 500
    if (status === 413)
      return sendError(reply, 413, 'ORDERS_PAYLOAD_TOO_LARGE', `request body over ${BODY_LIMIT} bytes`)
    if (status === 415) return sendError(reply, 415, 'ORDERS_UNSUPPORTED_MEDIA_TYPE', 'send application/json')
    // Fastify's own 4xx (invalid JSON, empty body, ...) carry safe messages of its own.
    if (status >= 400 && status < 500 && typeof error.code === 'string' && error.code.startsWith('FST_'))
      return sendError(reply, status, 'ORDERS_BAD_REQUEST', error.message)
    // Anything else is our fault: log it, answer without the SQL text, driver message or stack.
    request.log.error({ err: error }, 'unhandled error')
    if (!app.log.level || app.log.level === 'silent') process.emitWarning(`orders-api: ${error.message}`)
    return sendError(reply, 500, 'ORDERS_INTERNAL', `internal error (request ${request.id})`)
  })
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, 'ORDERS_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
  )
}

/** W3C trace context of the incoming request, forwarded on the upstream calls made while serving it. */
const TRACE_HEADERS = ['traceparent', 'tracestate'] as const

function traceHeaders(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of TRACE_HEADERS) {
    const value = request.headers[name]
    if (typeof value === 'string' && value !== '') out[name] = value
  }
  return out
}

export function buildApp(services: Services): FastifyInstance {
  const { db, cache, http, metrics } = services
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    // Strict JSON-schema validation: no type coercion of bodies ("5" is not 5), unknown fields rejected
    // (Fastify's default removeAdditional would drop them silently).
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  })
  registerErrorHandlers(app)
  // JSON only: a text/plain body is a 415, not a string that fails the schema.
  app.removeContentTypeParser('text/plain')
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

  async function rateToUsd(currency: string, trace: Record<string, string>): Promise<number> {
    const path = `/rates/${currency}`
    const body = http
      ? await (await http.request({ path, headers: trace })).json()
      : await (await fetch(`${services.upstreamOrigin}${path}`, { headers: trace })).json()
    return 1 / (body as { rate: number }).rate
  }

  async function loadOrder(
    id: number,
    timer: DbTimer,
    trace: Record<string, string>,
  ): Promise<Order | undefined> {
    const [row] = await timer.time(() => db.query<OrderRow>(orderSql, [id]))
    if (!row) return undefined
    const perUsd = await rateToUsd(row.currency, trace)
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

  // Liveness: the process serves HTTP (no dependency checked; see /ready).
  app.get('/health', async () => ({ status: 'ok', mode: services.mode, pid: process.pid }))
  registerReady(app, services)

  app.get<{ Params: { id: string } }>(
    '/orders/:id',
    { schema: { params: orderParams } },
    async (request, reply) => {
      const id = toId(request.params.id)
      if (id === undefined)
        return sendError(reply, 400, 'ORDERS_VALIDATION', `params/id must be <= ${MAX_INT}`)
      const timer = new DbTimer()
      const order = cache
        ? await cache.getOrSet(
            `order:${id}`,
            async (ctx) => {
              const found = await loadOrder(id, timer, traceHeaders(request))
              if (!found) ctx.skip()
              return found
            },
            { tags: [`order:${id}`] },
          )
        : await loadOrder(id, timer, traceHeaders(request))
      reply.header('X-DB-Time', `${timer.ms.toFixed(3)}ms`)
      if (!order) return sendError(reply, 404, 'ORDERS_NOT_FOUND', `order ${id} not found`)
      return order
    },
  )

  app.get<{ Querystring: { customer: string; limit?: string } }>(
    '/orders',
    { schema: { querystring: listQuery } },
    async (request, reply) => {
      const customer = toId(request.query.customer)
      if (customer === undefined)
        return sendError(reply, 400, 'ORDERS_VALIDATION', `querystring/customer must be <= ${MAX_INT}`)
      const limit = Number(request.query.limit ?? 20)
      if (limit > 100) return sendError(reply, 400, 'ORDERS_VALIDATION', 'querystring/limit must be 1..100')
      const timer = new DbTimer()
      const rows = await timer.time(() => db.query(listSql, [customer, limit], cache ? { cache: true } : {}))
      reply.header('X-DB-Time', `${timer.ms.toFixed(3)}ms`)
      return { customer, orders: rows }
    },
  )

  app.post<{ Body: { customer: number; totalCents: number; currency: string } }>(
    '/orders',
    { schema: { body: orderBody } },
    async (request, reply) => {
      const { customer, totalCents, currency } = request.body
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
