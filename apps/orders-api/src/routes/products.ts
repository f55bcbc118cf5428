// GET /products?category=&cursor=&limit= (keyset pagination) and GET /products/:id[?currency=].
import type { FastifyInstance } from 'fastify'
import { sendError } from '../errors.ts'
import { CURRENCIES, DbTimer, idParams, idString, limitString, toId, traceHeaders } from '../http-support.ts'
import type { Services } from '../services.ts'

export interface ProductRow {
  id: number
  category: string
  name: string
  price_cents: number
  stock: number
}

export interface Product {
  id: number
  category: string
  name: string
  priceCents: number
  stock: number
}

/** List pages are cached this long and not dropped on every stock change (`stock` there may lag by this). */
export const LIST_TTL = 5_000

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    category: { type: 'string', pattern: '^[a-z][a-z-]{0,31}$' },
    cursor: idString,
    limit: limitString,
  },
} as const

const productQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { currency: { type: 'string', enum: CURRENCIES } },
} as const

export function toProduct(row: ProductRow): Product {
  return {
    id: Number(row.id),
    category: row.category,
    name: row.name,
    priceCents: Number(row.price_cents),
    stock: Number(row.stock),
  }
}

export function registerProductRoutes(app: FastifyInstance, services: Services): void {
  const { db, cache, prices } = services
  const columns = 'id, category, name, price_cents, stock'

  app.get<{ Querystring: { category?: string; cursor?: string; limit?: string } }>(
    '/products',
    { schema: { querystring: listQuery } },
    async (request, reply) => {
      const { category } = request.query
      const after = request.query.cursor === undefined ? 0 : toId(request.query.cursor)
      const limit = Number(request.query.limit ?? 20)
      if (after === undefined || limit > 100)
        return sendError(reply, 400, 'ORDERS_VALIDATION', 'cursor must be <= 2^31-1 and limit 1..100')
      const timer = new DbTimer()
      // Keyset pagination: the page after the last id seen (an index range scan, never OFFSET).
      const load = async () => {
        const rows = await timer.time(() =>
          category === undefined
            ? db.query<ProductRow>(`SELECT ${columns} FROM products WHERE id > $1 ORDER BY id LIMIT $2`, [
                after,
                limit,
              ])
            : db.query<ProductRow>(
                `SELECT ${columns} FROM products WHERE category = $1 AND id > $2 ORDER BY id LIMIT $3`,
                [category, after, limit],
              ),
        )
        const products = rows.map(toProduct)
        const last = products.at(-1)
        return { products, nextCursor: products.length === limit && last ? String(last.id) : null }
      }
      const page = cache
        ? await cache.getOrSet(`products:${category ?? '*'}:${after}:${limit}`, load, {
            ttl: LIST_TTL,
            tags: ['products'],
          })
        : await load()
      reply.header('X-DB-Time', timer.header())
      return page
    },
  )

  app.get<{ Params: { id: string }; Querystring: { currency?: string } }>(
    '/products/:id',
    { schema: { params: idParams, querystring: productQuery } },
    async (request, reply) => {
      const id = toId(request.params.id)
      if (id === undefined) return sendError(reply, 400, 'ORDERS_VALIDATION', 'params/id must be <= 2^31-1')
      const timer = new DbTimer()
      const load = async (): Promise<Product | undefined> => {
        const [row] = await timer.time(() =>
          db.query<ProductRow>(`SELECT ${columns} FROM products WHERE id = $1`, [id]),
        )
        return row ? toProduct(row) : undefined
      }
      const product = cache
        ? await cache.getOrSet(
            `product:${id}`,
            async (ctx) => {
              const found = await load()
              if (!found) ctx.skip()
              return found
            },
            { tags: [`product:${id}`] },
          )
        : await load()
      reply.header('X-DB-Time', timer.header())
      if (!product) return sendError(reply, 404, 'ORDERS_NOT_FOUND', `product ${id} not found`)
      const { currency } = request.query
      if (currency === undefined) return product
      const rate = await prices.rate(currency, traceHeaders(request))
      if (rate.stale) reply.header('X-Prices-Stale', 'true')
      return {
        ...product,
        price: { currency, amount: Math.round(product.priceCents * rate.value) / 100, stale: rate.stale },
      }
    },
  )
}
