// The seed: the full size, deterministic (the same rows on every run and on both databases), idempotent.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createDatabase, type Database, postgres, sqlite } from '@hotpath/db'
import { requirePostgres } from '@hotpath/test-helpers'
import { describe, expect, it } from 'vitest'
import { FULL_SEED, SMALL_SEED, seed } from '../src/seed.ts'
import { freshDatabase } from './pg-database.ts'

async function fingerprint(db: Database) {
  const one = async (sql: string) => Number(Object.values((await db.query(sql))[0] ?? {})[0])
  return {
    products: await one('SELECT COUNT(*) FROM products'),
    customers: await one('SELECT COUNT(*) FROM customers'),
    orders: await one('SELECT COUNT(*) FROM orders'),
    lines: await one('SELECT COUNT(*) FROM order_lines'),
    stock: await one('SELECT SUM(stock) FROM products'),
    totals: await one('SELECT SUM(total_cents) FROM orders'),
    // Order totals are the sum of their lines.
    mismatched: await one(
      'SELECT COUNT(*) FROM orders o WHERE o.total_cents <> (SELECT SUM(l.quantity * l.price_cents) FROM order_lines l WHERE l.order_id = o.id)',
    ),
  }
}

describe('seed', () => {
  it('fills an empty SQLite database with the full size, the same rows every time, once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'orders-seed-'))
    const db = createDatabase({ driver: sqlite({ filename: join(dir, 's.db') }), queryCache: false })
    try {
      await seed(db, FULL_SEED)
      const first = await fingerprint(db)
      expect(first).toMatchObject({ products: 10_000, customers: 1_000, orders: 100_000, mismatched: 0 })
      expect(first.lines).toBeGreaterThan(100_000)
      await seed(db, FULL_SEED) // not empty: nothing added
      expect(await fingerprint(db)).toEqual(first)
      // Fixed PRNG seed: these figures are the same on every machine.
      expect({ lines: first.lines, stock: first.stock, totals: first.totals }).toEqual({
        lines: 200_284,
        stock: 2_737_446,
        totals: 4_073_137_601,
      })
    } finally {
      await db.close()
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('gives PostgreSQL the same rows as SQLite', async (ctx) => {
    if (!(await requirePostgres())) return ctx.skip('PostgreSQL is not reachable')
    const dir = await mkdtemp(join(tmpdir(), 'orders-seed-'))
    const pg = await freshDatabase()
    const lite = createDatabase({ driver: sqlite({ filename: join(dir, 's.db') }), queryCache: false })
    const pgDb = createDatabase({ driver: postgres({ connectionString: pg.url }), queryCache: false })
    try {
      await seed(lite, SMALL_SEED)
      await seed(pgDb, SMALL_SEED)
      expect(await fingerprint(pgDb)).toEqual(await fingerprint(lite))
    } finally {
      await lite.close()
      await pgDb.close()
      await pg.drop()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
