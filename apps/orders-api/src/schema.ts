// The sample schema and its seed data. Plain SQL that runs on SQLite and PostgreSQL alike.
import type { Database } from '@hotpath/db'
import { sqlFor } from './services.ts'

export const SCHEMA: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, country TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS orders (
     id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id),
     status TEXT NOT NULL, total_cents INTEGER NOT NULL, currency TEXT NOT NULL, created_at TEXT NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS orders_customer ON orders(customer_id, created_at)`,
]

const countries = ['DE', 'FR', 'GB', 'JP', 'US']
const currencies = ['EUR', 'EUR', 'GBP', 'JPY', 'USD']

/** Creates the tables and, when empty, fills them with `customers` customers and 10 orders each. */
export async function seed(db: Database, customers = 1000): Promise<void> {
  await db.batch(SCHEMA)
  const [row] = await db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM customers')
  if (Number(row?.n ?? 0) > 0) return
  const insertCustomer = sqlFor(db, 'INSERT INTO customers (id, name, country) VALUES ($1, $2, $3)')
  const insertOrder = sqlFor(
    db,
    'INSERT INTO orders (id, customer_id, status, total_cents, currency, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
  )
  await db.transaction(async (tx) => {
    for (let c = 1; c <= customers; c++) {
      const k = c % countries.length
      await tx.execute(insertCustomer, [c, `Customer ${c}`, countries[k]])
      for (let o = 0; o < 10; o++) {
        const id = (c - 1) * 10 + o + 1
        const day = String(1 + ((id * 7) % 28)).padStart(2, '0')
        await tx.execute(insertOrder, [
          id,
          c,
          id % 5 === 0 ? 'shipped' : 'open',
          1000 + ((id * 7919) % 90_000),
          currencies[k],
          `2026-10-${day}`,
        ])
      }
    }
  })
}
