// Deterministic seed data: the same rows on every machine and both databases (a fixed PRNG seed).
// Fast: multi-row INSERTs of SEED_CHUNK rows, all in one transaction.
import type { Database, Params, Transaction } from '@hotpath/db'
import { CATEGORIES } from './categories.ts'
import { migrate, syncOrderIds } from './schema.ts'

export interface SeedSize {
  products: number
  customers: number
  /** Spread evenly over the customers (order ids of one customer are contiguous). */
  orders: number
}

/** What `pnpm demo` and a default start seed. */
export const FULL_SEED: SeedSize = { products: 10_000, customers: 1_000, orders: 100_000 }
/** `SEED=small`: for tests and quick starts. */
export const SMALL_SEED: SeedSize = { products: 1_000, customers: 100, orders: 1_000 }

const countries = ['DE', 'FR', 'GB', 'JP', 'US']
export const CURRENCY_OF: Record<string, string> = { DE: 'EUR', FR: 'EUR', GB: 'GBP', JP: 'JPY', US: 'USD' }
const statuses = ['open', 'open', 'paid', 'shipped', 'shipped', 'cancelled']
const SEED_CHUNK = 500
const PG_CHUNK = 20_000

/** mulberry32: a fast 32-bit PRNG returning floats in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Column name and PostgreSQL array type of a seeded column. */
type Column = readonly [name: string, pgType: 'int' | 'text']

/**
 * Inserts `rows` into `table`. PostgreSQL: one INSERT ... SELECT FROM unnest(arrays) per PG_CHUNK rows (a
 * multi-row VALUES with thousands of parameters costs the server far more to parse and plan). SQLite: multi-row
 * VALUES of SEED_CHUNK rows with plain `?` marks (rewriting thousands of `$n` marks costs more than the insert).
 */
async function insertRows(
  system: Database['system'],
  tx: Transaction,
  table: string,
  columns: readonly Column[],
  rows: Params[],
): Promise<void> {
  const names = columns.map(([name]) => name).join(', ')
  if (system === 'postgresql') {
    const arrays = columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')
    for (let start = 0; start < rows.length; start += PG_CHUNK) {
      const chunk = rows.slice(start, start + PG_CHUNK) as unknown[][]
      const params = columns.map((_, i) => chunk.map((row) => row[i]))
      await tx.execute(`INSERT INTO ${table} (${names}) SELECT * FROM unnest(${arrays})`, params as Params)
    }
    return
  }
  const tuple = `(${columns.map(() => '?').join(', ')})`
  for (let start = 0; start < rows.length; start += SEED_CHUNK) {
    const chunk = rows.slice(start, start + SEED_CHUNK) as unknown[][]
    await tx.execute(
      `INSERT INTO ${table} (${names}) VALUES ${chunk.map(() => tuple).join(', ')}`,
      chunk.flat() as Params,
    )
  }
}

/** Migrates and, when the database is empty, fills it with `size` (the full seed by default). */
export async function seed(db: Database, size: SeedSize = FULL_SEED): Promise<void> {
  await migrate(db)
  const [row] = await db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM customers')
  if (Number(row?.n ?? 0) > 0) return
  const random = prng(17)
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1))
  const products: Params[] = []
  const prices: number[] = [0]
  for (let p = 1; p <= size.products; p++) {
    const price = int(199, 19_999)
    prices.push(price)
    const category = CATEGORIES[(p - 1) % CATEGORIES.length] as string
    products.push([p, category, `${category} item ${p}`, price, int(50, 500)])
  }
  const customers: Params[] = []
  for (let c = 1; c <= size.customers; c++)
    customers.push([c, `Customer ${c}`, countries[c % countries.length]])
  const orders: Params[] = []
  const lines: Params[] = []
  const perCustomer = Math.max(1, Math.ceil(size.orders / size.customers))
  for (let id = 1; id <= size.orders; id++) {
    const customer = Math.min(size.customers, Math.ceil(id / perCustomer))
    const picked = new Set<number>()
    const count = int(1, 3)
    let total = 0
    while (picked.size < Math.min(count, size.products)) picked.add(int(1, size.products))
    for (const product of picked) {
      const quantity = int(1, 3)
      const price = prices[product] as number
      total += price * quantity
      lines.push([id, product, quantity, price])
    }
    const day = new Date(Date.UTC(2026, 0, 1) + ((id * 7919) % (330 * 86_400)) * 1000).toISOString()
    const country = countries[customer % countries.length] as string
    orders.push([id, customer, statuses[id % statuses.length], total, CURRENCY_OF[country], day])
  }
  await db.transaction(async (tx) => {
    const insert = (table: string, columns: readonly Column[], rows: Params[]) =>
      insertRows(db.system, tx, table, columns, rows)
    const int = (name: string): Column => [name, 'int']
    const text = (name: string): Column => [name, 'text']
    await insert(
      'products',
      [int('id'), text('category'), text('name'), int('price_cents'), int('stock')],
      products,
    )
    await insert('customers', [int('id'), text('name'), text('country')], customers)
    const orderColumns = [int('id'), int('customer_id'), text('status'), int('total_cents'), text('currency')]
    await insert('orders', [...orderColumns, text('created_at')], orders)
    await insert(
      'order_lines',
      [int('order_id'), int('product_id'), int('quantity'), int('price_cents')],
      lines,
    )
  })
  if (db.system === 'postgresql') await syncOrderIds(db)
}
