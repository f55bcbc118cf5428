// Every data route end to end, on SQLite and on a fresh PostgreSQL database.
import { redisUrl, requirePostgres, requireRedis, uniqueId } from '@hotpath/test-helpers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Order } from '../src/app.ts'
import { type FreshDatabase, freshDatabase } from './pg-database.ts'
import { orderBody, postOrder, type RunningService, send, startService } from './service.ts'

const systems = (await requirePostgres()) ? (['sqlite', 'postgresql'] as const) : (['sqlite'] as const)

const json = async <T>(res: Response): Promise<T> => (await res.json()) as T

describe.each(systems)('routes on %s', (system) => {
  let svc: RunningService
  let pg: FreshDatabase | undefined
  const stockOf = async (product: number) =>
    Number(
      (
        await svc.services.db.query<{ stock: number }>('SELECT stock FROM products WHERE id = $1', [product])
      )[0]?.stock,
    )
  beforeAll(async () => {
    if (system === 'postgresql') pg = await freshDatabase()
    svc = await startService('optimized', pg ? { postgresUrl: pg.url } : {})
  })
  afterAll(async () => {
    await svc?.close()
    await pg?.drop()
  })

  it('GET /products pages by keyset (cursor = last id), optionally within a category', async () => {
    type Page = { products: Array<{ id: number; category: string }>; nextCursor: string | null }
    const first = await json<Page>(await fetch(`${svc.origin}/products?limit=5`))
    expect(first.products.map((p) => p.id)).toEqual([1, 2, 3, 4, 5])
    expect(first.nextCursor).toBe('5')
    const second = await json<Page>(await fetch(`${svc.origin}/products?limit=5&cursor=${first.nextCursor}`))
    expect(second.products.map((p) => p.id)).toEqual([6, 7, 8, 9, 10])
    const books = await json<Page>(await fetch(`${svc.origin}/products?category=books&limit=100`))
    expect(books.products).toHaveLength(20) // 200 products over 10 categories
    expect(new Set(books.products.map((p) => p.category))).toEqual(new Set(['books']))
    expect(books.nextCursor).toBeNull()
    const none = await json<Page>(await fetch(`${svc.origin}/products?category=nothing`))
    expect(none).toEqual({ products: [], nextCursor: null })
  })

  it('GET /products/:id, with a price in another currency from the upstream', async () => {
    const product = await json<{ id: number; priceCents: number; stock: number }>(
      await fetch(`${svc.origin}/products/3`),
    )
    expect(product).toMatchObject({ id: 3, category: 'kitchen' })
    const priced = await json<{ price: { currency: string; amount: number; stale: boolean } }>(
      await fetch(`${svc.origin}/products/3?currency=EUR`),
    )
    expect(priced.price).toEqual({
      currency: 'EUR',
      amount: Math.round(product.priceCents * 0.92) / 100,
      stale: false,
    })
    expect((await fetch(`${svc.origin}/products/99999`)).status).toBe(404)
  })

  it('GET /orders/:id: lines, customer, converted total, shipping quote and the timing headers', async () => {
    const res = await fetch(`${svc.origin}/orders/7`)
    expect(res.status).toBe(200)
    const order = await json<Order>(res)
    expect(order).toMatchObject({ id: 7, customer: { id: 1, name: 'Customer 1', country: 'FR' } })
    expect(order.lines.length).toBeGreaterThan(0)
    const sum = order.lines.reduce((s, l) => s + l.priceCents * l.quantity, 0)
    expect(order.total).toEqual({
      usdCents: sum,
      currency: 'EUR',
      amount: Math.round(sum * 0.92) / 100,
      stale: false,
    })
    expect(order.shipping).toEqual({ cents: 590, days: 3, stale: false })
    expect(res.headers.get('x-response-time')).toMatch(/ms$/)
    expect(res.headers.get('x-db-time')).toMatch(/^\d+\.\d{3}ms$/)
    expect(Number(res.headers.get('x-request-count'))).toBeGreaterThan(0)
    // A repeated read is served from the cache: no database time.
    expect((await fetch(`${svc.origin}/orders/7`)).headers.get('x-db-time')).toBe('0.000ms')
    expect((await fetch(`${svc.origin}/orders/999999`)).status).toBe(404)
  })

  it('GET /customers/:id/orders lists the latest orders; an unknown customer is 404', async () => {
    const body = await json<{ customer: number; orders: Array<{ id: number }> }>(
      await fetch(`${svc.origin}/customers/2/orders?limit=100`),
    )
    expect(body.customer).toBe(2)
    expect(body.orders.map((o) => o.id).sort((a, b) => a - b)).toEqual([
      11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
    ])
    expect((await fetch(`${svc.origin}/customers/999/orders`)).status).toBe(404)
  })

  it('POST /orders takes the stock in its transaction, returns the order and invalidates the list', async () => {
    const list = async () =>
      (await json<{ orders: unknown[] }>(await fetch(`${svc.origin}/customers/3/orders?limit=100`))).orders
        .length
    const before = await list()
    const stock = await stockOf(10)
    await fetch(`${svc.origin}/products/10`) // cached, must be dropped by the write
    const res = await postOrder(svc.origin, {
      customer: 3,
      currency: 'GBP',
      lines: [
        { product: 10, quantity: 2 },
        { product: 11, quantity: 1 },
      ],
    })
    expect(res.status).toBe(201)
    const created = await json<{ id: number; total: { usdCents: number } }>(res)
    expect(res.headers.get('location')).toBe(`/orders/${created.id}`)
    expect(created.id).toBeGreaterThan(200)
    expect(await stockOf(10)).toBe(stock - 2)
    expect((await json<{ stock: number }>(await fetch(`${svc.origin}/products/10`))).stock).toBe(stock - 2)
    expect(await list()).toBe(before + 1)
    const read = await json<Order>(await fetch(`${svc.origin}/orders/${created.id}`))
    expect(read.lines.map((l) => [l.product, l.quantity])).toEqual([
      [10, 2],
      [11, 1],
    ])
    expect(read.total.usdCents).toBe(created.total.usdCents)
  })

  it('POST /orders beyond the stock is 409 ORDERS_OUT_OF_STOCK and changes nothing; an unknown product is 422', async () => {
    const stock = await stockOf(20)
    const count = async () =>
      Number((await svc.services.db.query<{ n: string }>('SELECT COUNT(*) AS n FROM orders'))[0]?.n)
    const orders = await count()
    const res = await postOrder(svc.origin, {
      customer: 4,
      currency: 'EUR',
      lines: [
        { product: 19, quantity: 1 },
        { product: 20, quantity: stock + 1 },
      ],
    })
    expect(res.status).toBe(409)
    expect(await json(res)).toMatchObject({
      code: 'ORDERS_OUT_OF_STOCK',
      details: { product: 20, available: stock },
    })
    expect(await stockOf(20)).toBe(stock)
    expect(await count()).toBe(orders)
    const unknown = await postOrder(svc.origin, orderBody(4, 99_999))
    expect(unknown.status).toBe(422)
    expect(await json(unknown)).toMatchObject({ code: 'ORDERS_UNKNOWN_PRODUCT' })
  })

  it('20 concurrent POSTs for the last 10 items: exactly 10 orders, never oversold', async () => {
    await svc.services.db.execute('UPDATE products SET stock = 10 WHERE id = 30')
    await svc.services.cache?.invalidateTags(['product:30'])
    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        postOrder(svc.origin, orderBody(1 + (i % 5), 30)).then((r) => r.status),
      ),
    )
    expect(statuses.filter((s) => s === 201)).toHaveLength(10)
    expect(statuses.filter((s) => s === 409)).toHaveLength(10)
    expect(await stockOf(30)).toBe(0)
  })

  it('PATCH /orders/:id changes the status (cache dropped), refuses a bad transition, restocks on cancel', async () => {
    const created = await json<{ id: number }>(await postOrder(svc.origin, orderBody(5, 40, 3)))
    const stock = await stockOf(40)
    expect((await json<Order>(await fetch(`${svc.origin}/orders/${created.id}`))).status).toBe('open')
    const listed = async () =>
      (
        await json<{ orders: Array<{ id: number; status: string }> }>(
          await fetch(`${svc.origin}/customers/5/orders?limit=100`),
        )
      ).orders.find((o) => o.id === created.id)?.status
    expect(await listed()).toBe('open')
    const paid = await send(svc.origin, 'PATCH', `/orders/${created.id}`, { status: 'paid' })
    expect(paid.status).toBe(200)
    expect(await json(paid)).toEqual({ id: created.id, status: 'paid', previous: 'open' })
    expect((await json<Order>(await fetch(`${svc.origin}/orders/${created.id}`))).status).toBe('paid')
    expect(await listed()).toBe('paid')
    const back = await send(svc.origin, 'PATCH', `/orders/${created.id}`, { status: 'open' })
    expect(back.status).toBe(409)
    expect(await json(back)).toMatchObject({ code: 'ORDERS_INVALID_TRANSITION' })
    expect((await send(svc.origin, 'PATCH', `/orders/${created.id}`, { status: 'cancelled' })).status).toBe(
      200,
    )
    expect(await stockOf(40)).toBe(stock + 3)
    expect((await send(svc.origin, 'PATCH', '/orders/999999', { status: 'paid' })).status).toBe(404)
    expect((await send(svc.origin, 'PATCH', `/orders/${created.id}`, { status: 'lost' })).status).toBe(400)
  })
})

describe('baseline mode', () => {
  it('has no cache and calls the upstream on every order read', async () => {
    const svc = await startService('baseline')
    try {
      const before = svc.upstream.requests
      for (let i = 0; i < 3; i++) expect((await fetch(`${svc.origin}/orders/3`)).status).toBe(200)
      expect(svc.upstream.requests - before).toBe(6) // a rate and a shipping quote each time
      expect(svc.services.cache).toBeUndefined()
    } finally {
      await svc.close()
    }
  })
})

describe('PATCH across two instances sharing PostgreSQL and Redis', () => {
  it('invalidates the order and the list in the other instance through the bus', async (ctx) => {
    if (!(await requirePostgres()) || !(await requireRedis())) return ctx.skip()
    const pg = await freshDatabase()
    const shared = { postgresUrl: pg.url, redisUrl: redisUrl(), namespace: uniqueId('orders-bus') }
    const a = await startService('optimized', shared)
    const b = await startService('optimized', shared)
    try {
      const status = async (origin: string) => (await json<Order>(await fetch(`${origin}/orders/1`))).status
      const listed = async (origin: string) =>
        (
          await json<{ orders: Array<{ id: number; status: string }> }>(
            await fetch(`${origin}/customers/1/orders`),
          )
        ).orders.find((o) => o.id === 1)?.status
      expect(await status(b.origin)).toBe('open')
      expect(await listed(b.origin)).toBe('open')
      // b now holds both in its L1; a changes the order.
      expect((await send(a.origin, 'PATCH', '/orders/1', { status: 'paid' })).status).toBe(200)
      const { eventually } = await import('@hotpath/test-helpers')
      await eventually(
        async () => (await status(b.origin)) === 'paid' && (await listed(b.origin)) === 'paid',
        {
          timeoutMs: 5_000,
          intervalMs: 10,
          what: 'instance b sees the new status',
        },
      )
      expect(await status(b.origin)).toBe('paid')
    } finally {
      await a.close()
      await b.close()
      await pg.drop()
    }
  })
})
