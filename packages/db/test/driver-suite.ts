// The behaviours every driver shares, run against SQLite (test/sqlite.test.ts) and PostgreSQL
// (test/postgres.test.ts), in the manner of unstorage's testDriver() and Bentocache's driver suite.
// Driver-specific behaviour (pragmas, worker threads, prepared statements, killed backends) stays in
// the driver's own file.
import { capture } from '@hotpath/test-helpers'
import { describe, expect, it } from 'vitest'
import type { Database, DatabaseOptions, DatabaseStats, DbQueryEvent, Transaction } from '../src/index.ts'

/**
 * Stats once background work is done: a statement over slowQueryThreshold (easily 50 ms on a busy
 * machine) has its EXPLAIN taken on a pooled connection in the background, which counts as `used`.
 */
export async function settledStats(db: Database): Promise<DatabaseStats> {
  await db.slowQueries()
  return db.stats()
}

export interface DriverHarness {
  /** A new database on a fresh, empty schema or file; the suite closes it. */
  makeDatabase(options?: Omit<DatabaseOptions, 'driver'>): Database
  /** The driver's positional placeholders: `$1, $2` stay on PostgreSQL and become `?` on SQLite. */
  sql(text: string): string
}

export function describeDriver(name: 'sqlite' | 'postgresql', harness: DriverHarness): void {
  const { sql } = harness
  const open = (options?: Omit<DatabaseOptions, 'driver'>): Database => harness.makeDatabase(options)

  describe(`driver suite: ${name}`, () => {
    it('runs queries with parameters and executes writes with rowCount', async () => {
      await using db = open()
      expect(db.system).toBe(name)
      await db.execute('create table t (id int primary key, name text)')
      const r = await db.execute(sql('insert into t (id, name) values ($1, $2), ($3, $4)'), [1, 'a', 2, 'b'])
      expect(r.rowCount).toBe(2)
      expect(await db.query('select name from t order by id')).toEqual([{ name: 'a' }, { name: 'b' }])
      expect(await db.query(sql('select name from t where id = $1'), [2])).toEqual([{ name: 'b' }])
      expect(await db.query(sql('insert into t (id, name) values ($1, $2) returning id'), [3, 'c'])).toEqual([
        { id: 3 },
      ])
      const updated = await db.execute(sql('update t set name = $1 where id > $2'), ['z', 1])
      expect(updated.rowCount).toBe(2)
      expect(await db.query(sql('select name from t where id = $1'), [99])).toEqual([])
    })

    it('commits a transaction, and rolls it back on throw on the same connection', async () => {
      await using db = open()
      await db.execute('create table acct (id int primary key, balance int)')
      await db.execute('insert into acct (id, balance) values (1, 100), (2, 0)')
      await expect(
        db.transaction(async (tx) => {
          await tx.execute(sql('update acct set balance = balance - $1 where id = $2'), [50, 1])
          // The transaction sees its own write.
          expect(await tx.query('select balance from acct where id = 1')).toEqual([{ balance: 50 }])
          // ...a read outside it (another connection) does not.
          expect(await db.query('select balance from acct where id = 1')).toEqual([{ balance: 100 }])
          throw new Error('abort transfer')
        }),
      ).rejects.toThrow('abort transfer')
      expect(await db.query('select balance from acct order by id')).toEqual([
        { balance: 100 },
        { balance: 0 },
      ])
      const moved = await db.transaction(async (tx) => {
        await tx.execute(sql('update acct set balance = balance - $1 where id = $2'), [30, 1])
        await tx.execute(sql('update acct set balance = balance + $1 where id = $2'), [30, 2])
        return 'done'
      })
      expect(moved).toBe('done')
      expect(await db.query('select balance from acct order by id')).toEqual([
        { balance: 70 },
        { balance: 30 },
      ])
      expect((await settledStats(db)).pool.used).toBe(0)
    })

    it('codes a constraint that fails at COMMIT (deferred foreign key) and rolls back', async () => {
      await using db = open()
      await db.execute('create table parent (id int primary key)')
      await db.execute(
        'create table child (id int primary key, parent_id int references parent (id) deferrable initially deferred)',
      )
      await expect(
        db.transaction(async (tx) => {
          await tx.execute('insert into child (id, parent_id) values (1, 42)') // checked only at COMMIT
        }),
      ).rejects.toMatchObject({ code: 'HOTPATH_DB_CONSTRAINT' })
      expect(await db.query('select id from child')).toEqual([])
      expect((await settledStats(db)).pool.used).toBe(0)
    })

    it('rejects statements on a finished transaction with a coded error', async () => {
      await using db = open()
      let escaped: Transaction | undefined
      await db.transaction(async (tx) => {
        escaped = tx
      })
      await expect(escaped!.query('select 1 as one')).rejects.toMatchObject({
        code: 'HOTPATH_DB_TRANSACTION_FINISHED',
      })
      expect(await db.query('select 1 as one')).toEqual([{ one: 1 }])
    })

    it('runs a batch in one transaction: results in order, all or nothing', async () => {
      await using db = open()
      await db.execute('create table k (id int primary key, v text unique)')
      const results = await db.batch([
        "insert into k (id, v) values (1, 'a')",
        [sql('insert into k (id, v) values ($1, $2)'), [2, 'b']],
        { sql: 'select v from k order by id' },
      ])
      expect(results).toHaveLength(3)
      expect(results[1]!.rowCount).toBe(1)
      expect(results[2]!.rows).toEqual([{ v: 'a' }, { v: 'b' }])
      const error = await db
        .batch([
          [sql('insert into k (id, v) values ($1, $2)'), [3, 'c']],
          [sql('insert into k (id, v) values ($1, $2)'), [4, 'a']],
        ])
        .catch((e: unknown) => e)
      expect(error).toMatchObject({
        code: 'HOTPATH_DB_CONSTRAINT',
        fingerprint: 'insert into k(id, v) values (?, ?)',
      })
      expect(await db.query('select v from k order by id')).toEqual([{ v: 'a' }, { v: 'b' }])
      expect(await db.batch([])).toEqual([])
    })

    it('maps failures to the same codes on every driver, naming the fingerprint; connections stay healthy', async () => {
      await using db = open()
      await db.execute('create table b (id int primary key, v text)')
      await expect(db.query(sql('select * from b where id = $1 and v = $2'), [1])).rejects.toMatchObject({
        code: 'HOTPATH_DB_PARAMETER_COUNT',
        fingerprint: 'select * from b where id = ? and v = ?',
      })
      await expect(db.query('selec * from b where id = 5')).rejects.toMatchObject({
        code: 'HOTPATH_DB_SYNTAX',
        fingerprint: 'selec * from b where id = ?',
      })
      await expect(db.query('select * from missing_table')).rejects.toMatchObject({
        code: 'HOTPATH_DB_QUERY',
      })
      await db.execute("insert into b (id, v) values (1, 'x')")
      await expect(db.execute("insert into b (id, v) values (1, 'y')")).rejects.toMatchObject({
        code: 'HOTPATH_DB_CONSTRAINT',
      })
      await expect(db.query('select ? as v', 5 as never)).rejects.toMatchObject({ code: 'HOTPATH_DB_BIND' })
      expect(await db.query('select v from b')).toEqual([{ v: 'x' }])
      const stats = await settledStats(db)
      expect(stats.pool.used).toBe(0)
      expect(stats.queries.find((q) => q.fingerprint === 'selec * from b where id = ?')).toMatchObject({
        errors: 1,
      })
    })

    it('publishes query events without literals and keeps per-fingerprint statistics', async () => {
      await using db = open({ name: `events-${name}` })
      await db.execute('create table s (id int primary key, v text)')
      const events = capture<DbQueryEvent>('hotpath:db:query')
      try {
        for (let i = 0; i < 10; i++) await db.execute(`insert into s (id, v) values (${i}, 'secret-${i}')`)
      } finally {
        events.stop()
      }
      const mine = events.messages.filter((m) => m.database === `events-${name}`)
      expect(mine).toHaveLength(10)
      expect(mine[0]).toMatchObject({ system: name, operation: 'INSERT', rows: 1, cached: false })
      expect(mine[0]!.durationMs).toBeGreaterThanOrEqual(0)
      expect(JSON.stringify(mine)).not.toContain('secret')
      const q = db.stats().queries.find((x) => x.fingerprint === 'insert into s(id, v) values (?, ?)')
      expect(q).toMatchObject({ count: 10, rows: 10, errors: 0, summary: 'INSERT s' })
      expect(q!.p95Ms).toBeLessThanOrEqual(q!.maxMs)
      expect(q!.meanMs).toBeCloseTo(q!.totalMs / 10, 6)
    })

    it('keeps slow statements (slowQueryThreshold) and publishes them on hotpath:db:slow-query', async () => {
      await using db = open({ name: `slow-${name}`, slowQueryThreshold: 0, explainSlowQueries: false })
      const slow = capture<DbQueryEvent>('hotpath:db:slow-query')
      try {
        await db.query('select 42 as answer')
      } finally {
        slow.stop()
      }
      expect(slow.messages.find((m) => m.database === `slow-${name}`)).toMatchObject({
        fingerprint: 'select ? as answer',
        summary: 'SELECT',
        rows: 1,
      })
      const [entry] = await db.slowQueries()
      expect(entry).toMatchObject({ fingerprint: 'select ? as answer', count: 1 })
      expect(entry!.plan).toBeUndefined()
    })

    it('invalidates cached queries on a write to a table they read, and by tag with invalidateTags', async () => {
      await using db = open()
      await db.execute('create table p (id int primary key, price int)')
      await db.execute('insert into p (id, price) values (1, 10)')
      const read = () =>
        db.query(sql('select price from p where id = $1'), [1], { cache: true, tags: ['prices'] })
      expect(await read()).toEqual([{ price: 10 }])
      expect(await read()).toEqual([{ price: 10 }])
      expect(db.stats().queryCache).toEqual({ hits: 1, misses: 1 })
      await db.execute('update p set price = 20 where id = 1')
      expect(await read()).toEqual([{ price: 20 }])
      expect(db.stats().queryCache.misses).toBe(2)
      await db.invalidateTags(['prices'])
      expect(await read()).toEqual([{ price: 20 }])
      expect(db.stats().queryCache.misses).toBe(3)
      await db.transaction(async (tx) => {
        await tx.execute('update p set price = 40 where id = 1')
      })
      expect(await read()).toEqual([{ price: 40 }])
      await db.batch([[sql('update p set price = $1 where id = 1'), [60]]])
      expect(await read()).toEqual([{ price: 60 }])
    })

    it('rejects work after close with a coded error; close is idempotent', async () => {
      const db = open()
      expect(await db.query('select 1 as one')).toEqual([{ one: 1 }])
      const closing = db.close()
      expect(db.close()).toBe(closing)
      await closing
      await expect(db.query('select 1')).rejects.toMatchObject({ code: 'HOTPATH_DB_CLOSED' })
      await expect(db.execute('select 1')).rejects.toMatchObject({ code: 'HOTPATH_DB_CLOSED' })
      await expect(db.transaction(async () => {})).rejects.toMatchObject({ code: 'HOTPATH_DB_CLOSED' })
      await expect(db.batch(['select 1'])).rejects.toMatchObject({ code: 'HOTPATH_DB_CLOSED' })
      await db[Symbol.asyncDispose]()
    })
  })
}
