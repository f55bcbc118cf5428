// GET /orders/:id, POST /orders (stock checked and decremented in the order's transaction), PATCH /orders/:id.
import type { Database, Transaction } from '@hotpath/db'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { RequestError, sendError } from '../errors.ts'
import { CURRENCIES, DbTimer, idParams, MAX_INT, toId, traceHeaders } from '../http-support.ts'
import type { Services } from '../services.ts'

export const STATUSES = ['open', 'paid', 'shipped', 'cancelled'] as const
export type Status = (typeof STATUSES)[number]

/** Allowed status changes; anything else is 409 ORDERS_INVALID_TRANSITION. Cancelling puts the stock back. */
export const TRANSITIONS: Record<Status, readonly Status[]> = {
  open: ['paid', 'cancelled'],
  paid: ['shipped', 'cancelled'],
  shipped: [],
  cancelled: [],
}

export interface OrderRecord {
  id: number
  status: string
  createdAt: string
  customer: { id: number; name: string; country: string }
  lines: Array<{ product: number; name: string; quantity: number; priceCents: number }>
  totalCents: number
  currency: string
}

export interface Order extends Omit<OrderRecord, 'totalCents' | 'currency'> {
  total: { usdCents: number; currency: string; amount: number; stale: boolean }
  shipping: { cents: number; days: number; stale: boolean }
}

const orderBody = {
  type: 'object',
  additionalProperties: false,
  required: ['customer', 'currency', 'lines'],
  properties: {
    customer: { type: 'integer', minimum: 1, maximum: MAX_INT },
    currency: { type: 'string', enum: CURRENCIES },
    lines: {
      type: 'array',
      minItems: 1,
      maxItems: 20,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['product', 'quantity'],
        properties: {
          product: { type: 'integer', minimum: 1, maximum: MAX_INT },
          quantity: { type: 'integer', minimum: 1, maximum: 1000 },
        },
      },
    },
  },
} as const

const patchBody = {
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: { status: { type: 'string', enum: STATUSES } },
} as const

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

interface CreateBody {
  customer: number
  currency: string
  lines: Array<{ product: number; quantity: number }>
}

export const orderTag = (id: number) => `order:${id}`
/** Cache key of an order's database part (GET /orders/:id reads it, POST writes it through). */
const orderKey = (id: number) => `order:${id}`
export const customerOrdersTag = (id: number) => `customer:${id}:orders`
export const productTag = (id: number) => `product:${id}`

async function loadOrder(db: Database, id: number, timer: DbTimer): Promise<OrderRecord | undefined> {
  const [row] = await timer.time(() =>
    db.query<OrderRow>(
      `SELECT o.id, o.customer_id, o.status, o.total_cents, o.currency, o.created_at, c.name, c.country
         FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = $1`,
      [id],
    ),
  )
  if (!row) return undefined
  const lines = await timer.time(() =>
    db.query<{ product_id: number; name: string; quantity: number; price_cents: number }>(
      `SELECT l.product_id, p.name, l.quantity, l.price_cents FROM order_lines l
         JOIN products p ON p.id = l.product_id WHERE l.order_id = $1 ORDER BY l.product_id`,
      [id],
    ),
  )
  return {
    id: Number(row.id),
    status: row.status,
    createdAt: row.created_at,
    customer: { id: Number(row.customer_id), name: row.name, country: row.country },
    lines: lines.map((l) => ({
      product: Number(l.product_id),
      name: l.name,
      quantity: Number(l.quantity),
      priceCents: Number(l.price_cents),
    })),
    totalCents: Number(row.total_cents),
    currency: row.currency,
  }
}

/** Inserts the order and its lines after taking the stock; throws a RequestError (rolls back) when it cannot. */
async function insertOrder(tx: Transaction, system: Database['system'], body: CreateBody, now: string) {
  const [customer] = await tx.query<{ name: string; country: string }>(
    'SELECT name, country FROM customers WHERE id = $1',
    [body.customer],
  )
  if (!customer)
    throw new RequestError(422, 'ORDERS_UNKNOWN_CUSTOMER', `customer ${body.customer} does not exist`)
  // Products in id order: two orders touching the same products lock them in the same order (no deadlock).
  const lines = [...body.lines].sort((a, b) => a.product - b.product)
  const priced: Array<{ product: number; quantity: number; priceCents: number }> = []
  const names: string[] = []
  for (const line of lines) {
    // Check and decrement in one statement: the row lock makes concurrent orders queue, never oversell.
    const taken = await tx.execute(
      'UPDATE products SET stock = stock - $2 WHERE id = $1 AND stock >= $2 RETURNING price_cents, name',
      [line.product, line.quantity],
    )
    const row = taken.rows[0] as { price_cents: number; name: string } | undefined
    if (!row) {
      const [exists] = await tx.query<{ stock: number }>('SELECT stock FROM products WHERE id = $1', [
        line.product,
      ])
      if (!exists)
        throw new RequestError(422, 'ORDERS_UNKNOWN_PRODUCT', `product ${line.product} does not exist`)
      throw new RequestError(
        409,
        'ORDERS_OUT_OF_STOCK',
        `product ${line.product} has ${exists.stock} in stock`,
        {
          product: line.product,
          available: Number(exists.stock),
          requested: line.quantity,
        },
      )
    }
    priced.push({ ...line, priceCents: Number(row.price_cents) })
    names.push(row.name)
  }
  const total = priced.reduce((sum, l) => sum + l.priceCents * l.quantity, 0)
  if (total > MAX_INT) throw new RequestError(400, 'ORDERS_VALIDATION', 'order total too large')
  const inserted = await tx.execute(
    `INSERT INTO orders (customer_id, status, total_cents, currency, created_at)
     VALUES ($1, 'open', $2, $3, $4) RETURNING id`,
    [body.customer, total, body.currency, now],
  )
  const id = Number((inserted.rows[0] as { id: number }).id)
  let n = 0
  const mark = () => (system === 'postgresql' ? `$${++n}` : '?')
  await tx.execute(
    `INSERT INTO order_lines (order_id, product_id, quantity, price_cents) VALUES ${priced
      .map(() => `(${mark()}, ${mark()}, ${mark()}, ${mark()})`)
      .join(', ')}`,
    priced.flatMap((l) => [id, l.product, l.quantity, l.priceCents]),
  )
  // What loadOrder would read back (lines in product order, as it sorts them): cached by the route (write-through).
  const record: OrderRecord = {
    id,
    status: 'open',
    createdAt: now,
    customer: { id: body.customer, name: customer.name, country: customer.country },
    lines: priced.map((l, i) => ({
      product: l.product,
      name: names[i] as string,
      quantity: l.quantity,
      priceCents: l.priceCents,
    })),
    totalCents: total,
    currency: body.currency,
  }
  return { id, total, lines: priced, record }
}

export function registerOrderRoutes(app: FastifyInstance, services: Services): void {
  const { db, cache, prices, audit } = services

  const idOf = (request: FastifyRequest<{ Params: { id: string } }>): number => {
    const id = toId(request.params.id)
    if (id === undefined) throw new RequestError(400, 'ORDERS_VALIDATION', `params/id must be <= ${MAX_INT}`)
    return id
  }

  app.get<{ Params: { id: string } }>(
    '/orders/:id',
    { schema: { params: idParams } },
    async (request, reply) => {
      const id = idOf(request)
      const timer = new DbTimer()
      const record = cache
        ? await cache.getOrSet(
            orderKey(id),
            async (ctx) => {
              const found = await loadOrder(db, id, timer)
              if (!found) ctx.skip()
              return found
            },
            { tags: [orderTag(id)] },
          )
        : await loadOrder(db, id, timer)
      reply.header('X-DB-Time', timer.header())
      if (!record) return sendError(reply, 404, 'ORDERS_NOT_FOUND', `order ${id} not found`)
      const trace = traceHeaders(request)
      const [rate, shipping] = await Promise.all([
        prices.rate(record.currency, trace),
        prices.shipping(record.customer.country, trace),
      ])
      if (rate.stale || shipping.stale) reply.header('X-Prices-Stale', 'true')
      const { totalCents, currency: _currency, ...rest } = record
      const order: Order = {
        ...rest,
        total: {
          usdCents: totalCents,
          currency: record.currency,
          amount: Math.round(totalCents * rate.value) / 100,
          stale: rate.stale,
        },
        shipping: { ...shipping.value, stale: shipping.stale },
      }
      return order
    },
  )

  app.post<{ Body: CreateBody }>('/orders', { schema: { body: orderBody } }, async (request, reply) => {
    const body = request.body
    const seen = new Set<number>()
    for (const line of body.lines) {
      if (seen.has(line.product))
        throw new RequestError(400, 'ORDERS_VALIDATION', `product ${line.product} appears twice in lines`)
      seen.add(line.product)
    }
    const timer = new DbTimer()
    const now = new Date().toISOString()
    const created = await timer.time(() => db.transaction((tx) => insertOrder(tx, db.system, body, now)))
    await cache?.invalidateTags([
      customerOrdersTag(body.customer),
      ...created.lines.map((l) => productTag(l.product)),
    ])
    // Write-through: a client reads its new order right away (the demo's "read created"); that read is a hit.
    await cache?.set(orderKey(created.id), created.record, { tags: [orderTag(created.id)] })
    // Queued before the response is sent: a completed request's event is flushed even on SIGTERM.
    await audit.append({
      action: 'order.created',
      orderId: created.id,
      requestId: request.id,
      detail: JSON.stringify({ customer: body.customer, totalCents: created.total }),
    })
    reply.header('X-DB-Time', timer.header())
    reply.header('Location', `/orders/${created.id}`)
    return reply.code(201).send({
      id: created.id,
      status: 'open',
      createdAt: now,
      customer: { id: body.customer },
      lines: created.lines,
      total: { usdCents: created.total, currency: body.currency },
    })
  })

  app.patch<{ Params: { id: string }; Body: { status: Status } }>(
    '/orders/:id',
    { schema: { params: idParams, body: patchBody } },
    async (request, reply) => {
      const id = idOf(request)
      const next = request.body.status
      const timer = new DbTimer()
      const changed = await timer.time(() =>
        db.transaction(async (tx) => {
          const [row] = await tx.query<{ status: Status; customer_id: number }>(
            'SELECT status, customer_id FROM orders WHERE id = $1',
            [id],
          )
          if (!row) throw new RequestError(404, 'ORDERS_NOT_FOUND', `order ${id} not found`)
          if (!TRANSITIONS[row.status]?.includes(next))
            throw new RequestError(
              409,
              'ORDERS_INVALID_TRANSITION',
              `order ${id} is ${row.status}: cannot become ${next}`,
              {
                from: row.status,
                allowed: TRANSITIONS[row.status] ?? [],
              },
            )
          // The WHERE on the old status makes a concurrent change of the same order lose cleanly.
          const updated = await tx.execute('UPDATE orders SET status = $2 WHERE id = $1 AND status = $3', [
            id,
            next,
            row.status,
          ])
          if (updated.rowCount !== 1)
            throw new RequestError(409, 'ORDERS_INVALID_TRANSITION', `order ${id} changed meanwhile`)
          const restocked: number[] = []
          if (next === 'cancelled') {
            const lines = await tx.query<{ product_id: number; quantity: number }>(
              'SELECT product_id, quantity FROM order_lines WHERE order_id = $1 ORDER BY product_id',
              [id],
            )
            for (const l of lines) {
              await tx.execute('UPDATE products SET stock = stock + $2 WHERE id = $1', [
                l.product_id,
                l.quantity,
              ])
              restocked.push(Number(l.product_id))
            }
          }
          return { from: row.status, customer: Number(row.customer_id), restocked }
        }),
      )
      // Tags reach every instance through the cache bus (REDIS_URL) or every worker through the IPC bus.
      await cache?.invalidateTags([
        orderTag(id),
        customerOrdersTag(changed.customer),
        ...changed.restocked.map(productTag),
      ])
      await audit.append({
        action: 'order.status',
        orderId: id,
        requestId: request.id,
        detail: JSON.stringify({ from: changed.from, to: next }),
      })
      reply.header('X-DB-Time', timer.header())
      return { id, status: next, previous: changed.from }
    },
  )
}
