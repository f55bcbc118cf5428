import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDatabase, type Database, sqlite } from '../src/index.ts'
import { describeDriver } from './driver-suite.ts'

let dir: string
let seq = 0
const opened: Database[] = []
const open = (
  name: string,
  options: Parameters<typeof sqlite>[0] = {},
  extra: Parameters<typeof createDatabase>[0] = {},
) => {
  const db = createDatabase({
    name,
    driver: sqlite({ filename: join(dir, `${name}.db`), ...options }),
    ...extra,
  })
  opened.push(db)
  return db
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hp-db-sqlite-'))
})
afterAll(async () => {
  await Promise.all(opened.map((db) => db.close()))
  await rm(dir, { recursive: true, force: true })
})

// The shared behaviours, on a file database (a writer plus a reader connection).
describeDriver('sqlite', {
  makeDatabase: (options = {}) => open(`suite-${++seq}`, {}, options),
  sql: (text) => text.replace(/\$\d+/g, '?'),
})

async function seedOrders(db: Database, rows: number): Promise<void> {
  await db.execute(
    'create table orders (id integer primary key, customer text not null, status text, total real)',
  )
  const statements = Array.from(
    { length: rows },
    (_, i) =>
      [
        'insert into orders (customer, status, total) values (?, ?, ?)',
        [`c${i % 500}`, i % 3 ? 'open' : 'done', i],
      ] as const,
  )
  for (let i = 0; i < statements.length; i += 5000) await db.batch(statements.slice(i, i + 5000))
}

describe('sqlite driver', () => {
  it('applies the per-connection pragmas, each overridable', async () => {
    const db = open('pragmas', { pragmas: { cache_size: -1000, mmap_size: false } })
    const [mode] = await db.query<{ journal_mode: string }>('pragma journal_mode')
    expect(mode!.journal_mode).toBe('wal')
    expect((await db.query('pragma synchronous'))[0]).toEqual({ synchronous: 1 })
    expect((await db.query('pragma foreign_keys'))[0]).toEqual({ foreign_keys: 1 })
    // busy_timeout is the deadline of the async busy retries; on main-thread connections SQLite's own is 0.
    expect((await db.query('pragma busy_timeout'))[0]).toMatchObject({ timeout: 0 })
    expect((await db.query('pragma temp_store'))[0]).toEqual({ temp_store: 2 })
    expect((await db.query('pragma cache_size'))[0]).toEqual({ cache_size: -1000 })
    expect(() => sqlite({ pragmas: { 'x; drop table y': 1 } })).toThrow(/pragmas/)
    expect(() => sqlite({ pragmas: { cache_size: '1; drop' } })).toThrow(/pragmas.cache_size/)
    expect(() => sqlite({ readers: { threads: 2 } })).toThrow(/readers.threads/)
  })

  it('executes writes with lastInsertId and binds named parameters', async () => {
    const db = open('crud')
    await db.execute('create table t (id integer primary key, name text)')
    const r = await db.execute('insert into t (name) values (?)', ['a'])
    expect(r).toMatchObject({ rowCount: 1, lastInsertId: 1 })
    await db.execute('insert into t (name) values (?)', ['b'])
    expect(await db.query('select name from t where name = :name', { name: 'b' })).toEqual([{ name: 'b' }])
    await expect(db.execute('insert into t (name) values (?)', [{ not: 'bindable' }])).rejects.toMatchObject({
      code: 'HOTPATH_DB_BIND',
    })
    expect(() => createDatabase({ driver: sqlite({ filename: join(dir, 'no/such/dir/x.db') }) })).toThrow(
      expect.objectContaining({ code: 'HOTPATH_DB_CONNECTION' }),
    )
  })

  it('invalidates by hand (invalidateTags) a change the database cannot see', async () => {
    const db = open('cache')
    await db.execute('create table p (id integer primary key, price integer)')
    await db.execute('insert into p (id, price) values (1, 10)')
    const read = () =>
      db.query<{ price: number }>('select price from p where id = ?', [1], { cache: true, tags: ['prices'] })
    expect((await read())[0]!.price).toBe(10)
    const { DatabaseSync } = await import('node:sqlite')
    const raw = new DatabaseSync(join(dir, 'cache.db'))
    raw.exec('update p set price = 30 where id = 1')
    raw.close()
    expect((await read())[0]!.price).toBe(10) // still cached
    await db.invalidateTags(['prices'])
    expect((await read())[0]!.price).toBe(30)
    // A write sent through query() (RETURNING) invalidates the table's tag too.
    expect(await db.query('update p set price = 50 where id = 1 returning price')).toEqual([{ price: 50 }])
    expect((await read())[0]!.price).toBe(50)
  })

  it('measures statements on the database clock (durations, slow-query threshold and stamps)', async () => {
    let t = 0
    // Each read of now() advances 100 ms: every statement "takes" 100 ms on this clock.
    const clock = { now: () => (t += 100), epoch: () => 1_700_000_000_000 }
    const db = open('clocked', {}, { clock, slowQueryThreshold: 100, explainSlowQueries: false })
    await db.query('select 1 as one')
    const [stats] = db.stats().queries
    // Only this clock could have measured it: a whole multiple of its 100 ms steps (the pool reads it too).
    expect(stats).toMatchObject({ fingerprint: 'select ? as one', count: 1 })
    expect(stats!.totalMs).toBeGreaterThanOrEqual(100)
    expect(stats!.totalMs % 100).toBe(0)
    expect(db.stats().pools.writer!.useTime.totalMs % 100).toBe(0)
    const [slow] = await db.slowQueries()
    expect(slow).toMatchObject({
      fingerprint: 'select ? as one',
      durationMs: stats!.totalMs,
      lastAt: 1_700_000_000_000,
    })
  })

  it('gives its clock to the query cache it creates: cached rows expire on that clock', async () => {
    let t = 1_000
    const clock = { now: () => t, epoch: () => 1_700_000_000_000 + t }
    const db = open('cache-clock', {}, { clock, queryCache: { ttl: 1_000 }, slowQueryThreshold: 1e9 })
    await db.execute('create table c (v int)')
    await db.execute('insert into c values (1)')
    const read = () => db.query('select v from c', [], { cache: true })
    expect(await read()).toEqual([{ v: 1 }])
    expect(await read()).toEqual([{ v: 1 }])
    expect(db.stats().queryCache).toEqual({ hits: 1, misses: 1 })
    t += 999
    await read()
    expect(db.stats().queryCache.misses).toBe(1) // still fresh on the database clock
    t += 2_000
    await read()
    expect(db.stats().queryCache.misses).toBe(2) // expired on the database clock, no real time passed
  })

  it('uses a @hotpath/cache instance passed in, and can run without a cache', async () => {
    const { createCache } = await import('@hotpath/cache')
    const cache = createCache({ namespace: 'hp-db-test', ttl: 60_000 })
    try {
      const db = open('shared-cache', {}, { queryCache: cache })
      await db.execute('create table q (id integer primary key, v text)')
      await db.execute("insert into q (v) values ('one')")
      const read = () => db.query('select v from q', [], { cache: true })
      expect(await read()).toEqual([{ v: 'one' }])
      expect(await read()).toEqual([{ v: 'one' }])
      expect(cache.stats().l1Hits).toBeGreaterThanOrEqual(1)
      await cache.invalidateTags(['table:q']) // the table tag, by hand
      await db.execute("update q set v = 'two'")
      expect(await read()).toEqual([{ v: 'two' }])
      await db.close()
      expect(await cache.get('missing')).toBeUndefined() // not owned: still open after db.close()
    } finally {
      await cache.close()
    }
    const plain = open('no-cache', {}, { queryCache: false })
    await plain.execute('create table r (v int)')
    await plain.execute('insert into r values (1)')
    expect(await plain.query('select v from r', [], { cache: true })).toEqual([{ v: 1 }])
    await plain.execute('update r set v = 2')
    expect(await plain.query('select v from r', [], { cache: true })).toEqual([{ v: 2 }])
    expect(plain.stats().queryCache).toEqual({ hits: 0, misses: 0 })
    expect(() => createDatabase({ queryCache: { ttl: -5 } })).toThrow(/queryCache.ttl/)
    expect(() => createDatabase({ queryCache: 'yes' as never })).toThrow(/queryCache/)
  })

  it('lists slow queries with their plan and analyze() finds a planted full scan that its index removes', async () => {
    const db = open('analyze', {}, { slowQueryThreshold: 0 })
    await seedOrders(db, 20_000)
    await db.query("select id from orders where customer = 'c7' and status = ?", ['open'])
    const slow = await db.slowQueries()
    const entry = slow.find(
      (s) => s.fingerprint === 'select id from orders where customer = ? and status = ?',
    )
    expect(entry).toBeDefined()
    expect(JSON.stringify(entry!.plan)).toContain('SCAN orders')

    const sql = 'select id, total from orders where customer = ? and status = ? order by total'
    const analysis = await db.analyze(sql, ['c7', 'open'])
    const scan = analysis.findings.find((f) => f.kind === 'full-scan')
    expect(scan).toMatchObject({ table: 'orders' })
    expect(scan!.suggestion).toBe(
      'CREATE INDEX idx_orders_customer_status_total ON orders (customer, status, total)',
    )
    await db.execute(scan!.suggestion!)
    const after = await db.analyze(sql, ['c7', 'open'])
    expect(after.findings.filter((f) => f.kind === 'full-scan')).toEqual([])
    expect(JSON.stringify(after.plan)).toMatch(
      /SEARCH orders USING (COVERING )?INDEX idx_orders_customer_status_total/,
    )
  })

  it('reports the static findings', async () => {
    const db = open('static')
    await db.execute('create table u (id integer primary key, email text, created text)')
    const kinds = async (sql: string, params: unknown[] = []) =>
      (await db.analyze(sql, params)).findings.map((f) => f.kind)
    expect(await kinds('select * from u where id = 1')).toContain('select-star')
    expect(await kinds('update u set email = null')).toContain('missing-where')
    expect(await kinds('delete from u')).toContain('missing-where')
    expect(await kinds("select id from u where email like '%@x.org'")).toContain('leading-wildcard')
    expect(await kinds('select id from u where email like ?', ['%@x.org'])).toContain('leading-wildcard')
    expect(await kinds('select id from u where email like ?', ['bob%'])).not.toContain('leading-wildcard')
    expect(await kinds('select id from u where lower(email) = ?', ['a@b.c'])).toContain('function-on-column')
    expect(await kinds('select id from u order by id limit 10 offset 100')).toContain('offset-pagination')
    expect(await kinds('select id from u where id = ?', [1])).toEqual([])
  })

  it('runs reads on worker threads so a slow query does not block the event loop', {
    timeout: 30_000,
  }, async () => {
    const db = open('workers', { readers: { threads: 2 } }, { slowQueryThreshold: 100_000 })
    await db.execute('create table w (id integer primary key, v text)')
    await db.execute("insert into w (v) values ('visible')")
    expect(await db.query('select v from w')).toEqual([{ v: 'visible' }]) // workers see committed writes
    const slowSql =
      'with recursive c(x) as (select 1 union all select x + 1 from c where x < ?) select count(*) as n from c'
    const histogram = monitorEventLoopDelay({ resolution: 5 })
    histogram.enable()
    const started = performance.now()
    const [rows] = await Promise.all([
      db.query<{ n: number }>(slowSql, [3_000_000]),
      db.query('select v from w'),
    ])
    const tookMs = performance.now() - started
    histogram.disable()
    expect(rows[0]!.n).toBe(3_000_000)
    expect(tookMs).toBeGreaterThan(150) // the query really was slow...
    const maxDelayMs = histogram.max / 1e6
    expect(maxDelayMs).toBeLessThan(Math.max(100, tookMs / 3)) // ...yet the loop kept ticking
    expect(db.stats().pools.readers).toMatchObject({ max: 2 })
    await expect(db.query('select * from nope')).rejects.toMatchObject({ code: 'HOTPATH_DB_QUERY' })
    await expect(db.query('selec 1')).rejects.toMatchObject({ code: 'HOTPATH_DB_SYNTAX' })
  })
})
