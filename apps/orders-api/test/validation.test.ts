import { requirePostgres } from '@hotpath/test-helpers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from './pg-database.ts'
import { postOrder, type RunningService, startService } from './service.ts'

const good = { customer: 1, currency: 'EUR', lines: [{ product: 1, quantity: 1 }] }
const line = (l: Record<string, unknown>) => ({ ...good, lines: [{ product: 1, quantity: 1, ...l }] })

const badBodies: Array<[string, unknown, number]> = [
  ['unknown customer', { ...good, customer: 999_999 }, 422],
  ['unknown product', line({ product: 999_999 }), 422],
  ['customer 1e20', { ...good, customer: 1e20 }, 400],
  ['customer >= 2^31', { ...good, customer: 2 ** 31 }, 400],
  ['customer as a string', { ...good, customer: '1' }, 400],
  ['customer 1.5', { ...good, customer: 1.5 }, 400],
  ['negative quantity', line({ quantity: -5 }), 400],
  ['zero quantity', line({ quantity: 0 }), 400],
  ['quantity 1e300', line({ quantity: 1e300 }), 400],
  ['product >= 2^31', line({ product: 2 ** 31 }), 400],
  ['an unknown field in a line', line({ price: 1 }), 400],
  ['no lines', { ...good, lines: [] }, 400],
  ['the same product twice', { ...good, lines: [good.lines[0], good.lines[0]] }, 400],
  ['currency XYZ', { ...good, currency: 'XYZ' }, 400],
  ['unknown field', { ...good, admin: true }, 400],
  ['missing field', { customer: 1, currency: 'EUR' }, 400],
  ['an array body', [good], 400],
  ['invalid JSON', '{"customer": 1,', 400],
  ['a huge body', JSON.stringify({ ...good, pad: 'x'.repeat(2_000_000) }), 413],
]

const badReads: Array<[string, string]> = [
  ['hex id', '/orders/0x10'],
  ['exponent id', '/orders/1e1'],
  ['id >= 2^31', `/orders/${2 ** 31}`],
  ['huge id', '/orders/99999999999999999999999'],
  ['zero id', '/orders/0'],
  ['negative id', '/orders/-1'],
  ['limit 1.5', '/customers/1/orders?limit=1.5'],
  ['limit -5', '/customers/1/orders?limit=-5'],
  ['limit 0', '/customers/1/orders?limit=0'],
  ['limit 101', '/customers/1/orders?limit=101'],
  ['customer 1e20', '/customers/1e20/orders'],
  ['customer >= 2^31', `/customers/${2 ** 31}/orders`],
  ['unknown query parameter', '/customers/1/orders?sort=id'],
  ['product hex id', '/products/0x10'],
  ['product id >= 2^31', `/products/${2 ** 31}`],
  ['product currency XYZ', '/products/1?currency=XYZ'],
  ['cursor -1', '/products?cursor=-1'],
  ['cursor 1e3', '/products?cursor=1e3'],
  ['category with SQL', "/products?category=x'%20OR%201=1"],
  ['products limit 0', '/products?limit=0'],
  ['products limit 101', '/products?limit=101'],
]

async function expectCleanError(res: Response, status: number): Promise<void> {
  const text = await res.text()
  expect({ status: res.status, text }).toMatchObject({ status })
  expect(res.headers.get('content-type')).toMatch(/^application\/json/)
  const body = JSON.parse(text) as { code: string; error: string }
  expect(body.code).toMatch(/^ORDERS_[A-Z_]+$/)
  expect(body.error.length).toBeGreaterThan(0)
  expect(text).not.toMatch(/SELECT|INSERT|customers|violates|sqlite|postgres/i)
}

const systems = (await requirePostgres()) ? (['sqlite', 'postgresql'] as const) : (['sqlite'] as const)

describe.each(systems)('bad input on %s', (system) => {
  let svc: RunningService | undefined = undefined as RunningService | undefined
  let schema: FreshDatabase | undefined
  beforeAll(async () => {
    if (system === 'postgresql') schema = await freshDatabase()
    svc = await startService('optimized', schema ? { postgresUrl: schema.url } : {})
  })
  afterAll(async () => {
    await svc?.close()
    await schema?.drop()
  })

  it.each(badBodies)('POST /orders with %s is a clean 4xx and stores nothing', async (_, body, status) => {
    if (!svc) throw new Error('service did not start')
    const count = async () =>
      Number((await svc?.services.db.query<{ n: string }>('SELECT COUNT(*) AS n FROM orders'))?.[0]?.n)
    const before = await count()
    await expectCleanError(await postOrder(svc.origin, body), status)
    expect(await count()).toBe(before)
  })

  it('POST /orders with a non-JSON content type is 415', async () => {
    if (!svc) throw new Error('service did not start')
    const res = await fetch(`${svc.origin}/orders`, {
      method: 'POST',
      body: 'customer=1',
      headers: { 'content-type': 'text/plain' },
    })
    await expectCleanError(res, 415)
  })

  it.each(badReads)('GET with %s is a clean 400', async (_, path) => {
    if (!svc) throw new Error('service did not start')
    await expectCleanError(await fetch(`${svc.origin}${path}`), 400)
  })

  it('a good list respects its limit and an unknown route is a JSON 404', async () => {
    if (!svc) throw new Error('service did not start')
    const res = await fetch(`${svc.origin}/customers/1/orders?limit=3`)
    expect(res.status).toBe(200)
    expect(((await res.json()) as { orders: unknown[] }).orders).toHaveLength(3)
    await expectCleanError(await fetch(`${svc.origin}/nope`), 404)
    await expectCleanError(await fetch(`${svc.origin}/orders/999999`), 404)
  })
})
