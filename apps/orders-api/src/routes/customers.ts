// GET /customers/:id/orders?limit= : a customer's latest orders (cached, dropped by the customer's tag).
import type { FastifyInstance } from 'fastify'
import { sendError } from '../errors.ts'
import { DbTimer, idParams, limitString, MAX_INT, toId } from '../http-support.ts'
import type { Services } from '../services.ts'
import { customerOrdersTag } from './orders.ts'

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { limit: limitString },
} as const

interface ListRow {
  id: number
  status: string
  total_cents: number
  currency: string
  created_at: string
}

export function registerCustomerRoutes(app: FastifyInstance, services: Services): void {
  const { db, cache } = services
  app.get<{ Params: { id: string }; Querystring: { limit?: string } }>(
    '/customers/:id/orders',
    { schema: { params: idParams, querystring: listQuery } },
    async (request, reply) => {
      const customer = toId(request.params.id)
      if (customer === undefined)
        return sendError(reply, 400, 'ORDERS_VALIDATION', `params/id must be <= ${MAX_INT}`)
      const limit = Number(request.query.limit ?? 20)
      if (limit > 100) return sendError(reply, 400, 'ORDERS_VALIDATION', 'querystring/limit must be 1..100')
      const timer = new DbTimer()
      const load = async () => {
        const [exists] = await timer.time(() =>
          db.query('SELECT id FROM customers WHERE id = $1', [customer]),
        )
        if (!exists) return undefined
        const rows = await timer.time(() =>
          db.query<ListRow>(
            `SELECT id, status, total_cents, currency, created_at FROM orders
              WHERE customer_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
            [customer, limit],
          ),
        )
        return rows.map((r) => ({
          id: Number(r.id),
          status: r.status,
          totalCents: Number(r.total_cents),
          currency: r.currency,
          createdAt: r.created_at,
        }))
      }
      const orders = cache
        ? await cache.getOrSet(
            `customer-orders:${customer}:${limit}`,
            async (ctx) => {
              const found = await load()
              if (!found) ctx.skip()
              return found
            },
            { tags: [customerOrdersTag(customer)] },
          )
        : await load()
      reply.header('X-DB-Time', timer.header())
      if (!orders) return sendError(reply, 404, 'ORDERS_NOT_FOUND', `customer ${customer} not found`)
      return { customer, orders }
    },
  )
}
