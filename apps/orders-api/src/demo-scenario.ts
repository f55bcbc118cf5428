// The demo's mixed scenario (a programmable @hotpath/load scenario, one call per iteration): product browsing,
// order reads, an order created (its id captured) and read back, and status updates. Deterministic per iteration.
// The seed size comes from DEMO_PRODUCTS / DEMO_ORDERS / DEMO_CUSTOMERS (set by the demo for the load process).
import { CATEGORIES } from './categories.ts'
const products = Number(process.env.DEMO_PRODUCTS || 10_000)
const orders = Number(process.env.DEMO_ORDERS || 100_000)
const customers = Number(process.env.DEMO_CUSTOMERS || 1_000)

/** A popular subset: what a catalogue and an order history look like under real traffic. */
const hotProducts = Math.min(products, 500)
const hotOrders = Math.min(orders, 1_000)

/** Picks (0..99) of the first iterations: create + read, order read, product, category page, status update. */
const FIRST = [86, 50, 20, 5, 95]

function hash(n: number): number {
  let x = (n + 0x9e3779b9) | 0
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b)
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return (x ^ (x >>> 16)) >>> 0
}

export default function mixed({ iteration }: { iteration: number }) {
  const r = hash(iteration)
  // The first iterations take each kind once, so even a very short run exercises the whole mix.
  const pick = iteration < FIRST.length ? (FIRST[iteration] as number) : r % 100
  const a = hash(r)
  if (pick < 15) {
    const category = CATEGORIES[a % CATEGORIES.length]
    return [{ name: 'browse list', path: `/products?category=${category}&limit=20`, expect: { status: 200 } }]
  }
  if (pick < 40)
    return [
      { name: 'product', path: `/products/${1 + (a % hotProducts)}?currency=EUR`, expect: { status: 200 } },
    ]
  if (pick < 85)
    return [{ name: 'order read', path: `/orders/${1 + (a % hotOrders)}`, expect: { status: 200 } }]
  if (pick < 92) {
    const customer = 1 + (a % customers)
    return [
      {
        name: 'create order',
        method: 'POST',
        path: '/orders',
        body: { customer, currency: 'EUR', lines: [{ product: 1 + (hash(a) % products), quantity: 1 }] },
        capture: { id: { json: 'id' } },
        expect: { status: 201 },
      },
      (vars: Record<string, unknown>) => ({
        name: 'read created',
        path: `/orders/${vars.id}`,
        expect: { status: 200 },
      }),
    ]
  }
  // Status updates of seeded orders: a paid or shipped one cannot be paid again (409 is an expected answer).
  return [
    {
      name: 'status update',
      method: 'PATCH',
      path: `/orders/${1 + (a % orders)}`,
      body: { status: 'paid' },
      expect: { status: [200, 409] },
    },
  ]
}
