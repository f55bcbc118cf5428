import { requirePostgres } from '@hotpath/test-helpers'
import { describe, expect, it } from 'vitest'
import { createServices } from '../src/services.ts'
import { freshDatabase } from './pg-database.ts'
import { orderBody, postOrder, startService } from './service.ts'

async function concurrentPosts(origin: string, n: number, customers = 5): Promise<number[]> {
  const responses = await Promise.all(
    Array.from({ length: n }, (_, i) => postOrder(origin, orderBody(1 + (i % customers), 1 + i))),
  )
  expect(responses.map((r) => r.status)).toEqual(Array(n).fill(201))
  return ((await Promise.all(responses.map((r) => r.json()))) as Array<{ id: number }>).map((b) => b.id)
}

describe('POST /orders on SQLite', () => {
  it('20 concurrent POSTs all succeed with distinct ids', async () => {
    const svc = await startService('optimized')
    try {
      const ids = await concurrentPosts(svc.origin, 20)
      expect(new Set(ids).size).toBe(20)
    } finally {
      await svc.close()
    }
  })
})

describe('POST /orders on PostgreSQL', () => {
  it('20 concurrent POSTs all succeed with 20 distinct real ids', async (ctx) => {
    if (!(await requirePostgres())) return ctx.skip()
    const schema = await freshDatabase()
    const svc = await startService('optimized', { postgresUrl: schema.url })
    try {
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) => postOrder(svc.origin, orderBody(1 + (i % 5), 1 + i))),
      )
      expect(responses.map((r) => r.status)).toEqual(Array(20).fill(201))
      const bodies = (await Promise.all(responses.map((r) => r.json()))) as Array<{ id: number }>
      const ids = new Set(bodies.map((b) => b.id))
      expect(ids.size).toBe(20)
      for (const id of ids) expect(id).toBeGreaterThan(200) // after the 20 x 10 seeded orders
      const read = await fetch(`${svc.origin}/orders/${bodies[0]?.id}`)
      expect(read.status).toBe(200)
      expect(await read.json()).toMatchObject({ id: bodies[0]?.id, lines: [{ product: 1, quantity: 1 }] })
    } finally {
      await svc.close()
      await schema.drop()
    }
  })

  it('migrates a table created by the old schema (plain INTEGER id) to an identity past its rows', async (ctx) => {
    if (!(await requirePostgres())) return ctx.skip()
    const schema = await freshDatabase()
    try {
      const old = createServices({
        mode: 'baseline',
        sqliteFile: '',
        postgresUrl: schema.url,
        upstreamOrigin: 'http://127.0.0.1:9',
      })
      await old.db.batch([
        'CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, country TEXT NOT NULL)',
        `CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id),
           status TEXT NOT NULL, total_cents INTEGER NOT NULL, currency TEXT NOT NULL, created_at TEXT NOT NULL)`,
        "INSERT INTO customers VALUES (1, 'Old', 'DE')",
        "INSERT INTO orders VALUES (41, 1, 'open', 100, 'EUR', '2026-01-01')",
      ])
      await old.close()
      const svc = await startService('baseline', { postgresUrl: schema.url })
      try {
        // The old schema had no products: the migration created the table, the seed skipped a non-empty database.
        await svc.services.db.execute(
          "INSERT INTO products (id, category, name, price_cents, stock) VALUES (1, 'books', 'b1', 100, 9), (2, 'books', 'b2', 100, 9), (3, 'books', 'b3', 100, 9), (4, 'books', 'b4', 100, 9), (5, 'books', 'b5', 100, 9)",
        )
        const ids = await concurrentPosts(svc.origin, 5, 1)
        expect(Math.min(...ids)).toBe(42)
        expect(new Set(ids).size).toBe(5)
      } finally {
        await svc.close()
      }
    } finally {
      await schema.drop()
    }
  })

  it('migrating twice is harmless and ids keep growing after a restart', async (ctx) => {
    if (!(await requirePostgres())) return ctx.skip()
    const schema = await freshDatabase()
    try {
      const first = await startService('baseline', { postgresUrl: schema.url })
      const a = (await (await postOrder(first.origin, orderBody(1))).json()) as {
        id: number
      }
      await first.close()
      const second = await startService('baseline', { postgresUrl: schema.url })
      try {
        const res = await postOrder(second.origin, orderBody(1))
        expect(res.status).toBe(201)
        expect(((await res.json()) as { id: number }).id).toBeGreaterThan(a.id)
      } finally {
        await second.close()
      }
    } finally {
      await schema.drop()
    }
  })
})
