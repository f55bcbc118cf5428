import { setTimeout as sleep } from 'node:timers/promises'
import {
  eventually,
  type FreshSchema,
  freePort,
  freshSchema,
  postgresUrl,
  requirePostgres,
  uniqueId,
} from '@hotpath/test-helpers'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createDatabase, type Database, postgres } from '../src/index.ts'
import { describeDriver, settledStats } from './driver-suite.ts'

let available = false
let schema: FreshSchema
let admin: pg.Client
const opened: Database[] = []

beforeAll(async () => {
  available = await requirePostgres()
  if (!available) return
  admin = new pg.Client({ connectionString: postgresUrl() })
  await admin.connect()
})
afterAll(async () => {
  await admin?.end()
})
beforeEach(async (ctx) => {
  if (!available) ctx.skip()
  schema = await freshSchema()
})
afterEach(async () => {
  await Promise.all(opened.splice(0).map((db) => db.close()))
  await schema?.drop()
})

const open = (
  options: Parameters<typeof postgres>[0] = {},
  extra: Parameters<typeof createDatabase>[0] = {},
) => {
  const db = createDatabase({
    name: 'pgtest',
    driver: postgres({ connectionString: schema.url, ...options }),
    ...extra,
  })
  opened.push(db)
  return db
}

// The shared behaviours, each on a fresh schema (freshSchema in beforeEach above).
describeDriver('postgresql', {
  makeDatabase: (options = {}) => open({}, options),
  sql: (text) => text,
})

describe('postgres driver', () => {
  it('runs the jsonb operators ?, ?| and ?& (not placeholders on PostgreSQL)', async () => {
    const db = open()
    const rows = await db.query(
      `SELECT '{"a":1}'::jsonb ? 'a' AS has, '{"a":1}'::jsonb ?| array['a','b'] AS some, '{"a":1}'::jsonb ?& array['a'] AS every`,
    )
    expect(rows).toEqual([{ has: true, some: true, every: true }])
    expect(await db.query(`SELECT $1::jsonb ? 'b' AS has`, ['{"b":2}'])).toEqual([{ has: true }])
    await expect(db.query('SELECT $1::int AS v', [])).rejects.toMatchObject({
      code: 'HOTPATH_DB_PARAMETER_COUNT',
    })
  })

  it('a value whose serialisation throws does not poison the prepared statement (no 26000 afterwards)', async () => {
    const db = open({}, { pool: { max: 1 } })
    const sql = 'SELECT $1::text AS v'
    expect(await db.query(sql, ['first'])).toEqual([{ v: 'first' }])
    const bad = {
      toPostgres() {
        throw new Error('cannot serialise')
      },
    }
    await expect(db.query(sql, [bad])).rejects.toMatchObject({ code: 'HOTPATH_DB_BIND' })
    const fresh = 'SELECT $1::text AS w'
    await expect(db.query(fresh, [bad])).rejects.toMatchObject({ code: 'HOTPATH_DB_BIND' })
    expect(await db.query(sql, ['again'])).toEqual([{ v: 'again' }])
    expect(await db.query(fresh, ['ok'])).toEqual([{ w: 'ok' }])
    expect(db.stats().pool.size).toBe(1)
  })

  it('rejects misspelled driver options (no silent fallback to PG* defaults)', () => {
    expect(() => postgres({ connectionstring: 'postgres://x' } as never)).toThrow(/connectionstring/)
  })

  it('query({ signal }): an abort cancels the statement on the server (pg_sleep stops)', async () => {
    const db = open({ applicationName: 'hp_abort' }, { pool: { max: 2 } })
    const ac = new AbortController()
    const p = db.query('SELECT pg_sleep(30) AS s', [], { signal: ac.signal }).catch((e: unknown) => e)
    await eventually(
      async () =>
        (
          await admin.query(
            "SELECT 1 FROM pg_stat_activity WHERE application_name = 'hp_abort' AND query LIKE 'SELECT pg_sleep%' AND state = 'active'",
          )
        ).rowCount === 1,
      { what: 'pg_sleep running on the server' },
    )
    ac.abort(new Error('caller left'))
    const error = (await p) as { code?: string; cause?: { message?: string } }
    expect(error.code).toBe('HOTPATH_DB_ABORTED')
    await eventually(
      async () =>
        (
          await admin.query(
            "SELECT 1 FROM pg_stat_activity WHERE application_name = 'hp_abort' AND query LIKE 'SELECT pg_sleep%' AND state = 'active'",
          )
        ).rowCount === 0,
      { what: 'the server to stop pg_sleep', timeoutMs: 5_000 },
    )
    // The connection is still good.
    expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }])
  })

  it('runs queries with prepared statements and reports rowCount', async () => {
    const db = open({}, { pool: { max: 1 } })
    // A script of several statements (simple protocol, no parameters) reports the last one.
    const script = await db.execute(
      'create table t (id serial primary key, name text); create table t2 (x int); select 1 as last',
    )
    expect(script.rows).toEqual([{ last: 1 }])
    const r = await db.execute('insert into t (name) values ($1), ($2)', ['a', 'b'])
    expect(r.rowCount).toBe(2)
    expect(await db.query('select name from t where id = $1', [2])).toEqual([{ name: 'b' }])
    expect(await db.query('select name from t where id = $1', [1])).toEqual([{ name: 'a' }])
    const prepared = await db.query<{ statement: string }>('select statement from pg_prepared_statements')
    expect(prepared.map((p) => p.statement)).toContain('select name from t where id = $1')
    // The schema changes under the prepared statement: it is prepared again, the caller sees no error.
    expect(await db.query('select * from t where id = $1', [1])).toEqual([{ id: 1, name: 'a' }])
    await db.execute('alter table t add column extra int default 7')
    expect(await db.query('select * from t where id = $1', [1])).toEqual([{ id: 1, name: 'a', extra: 7 }])
    expect(db.system).toBe('postgresql')
  })

  it('pipelines a batch in one transaction: results in order, all or nothing', async () => {
    const db = open()
    await db.execute('create table k (id serial primary key, v text unique)')
    const results = await db.batch([
      ['insert into k (v) values ($1) returning id', ['a']],
      ['insert into k (v) values ($1)', ['b']],
      'select count(*)::int as n from k',
    ])
    expect(results[0]!.rows).toEqual([{ id: 1 }])
    expect(results[1]!.rowCount).toBe(1)
    expect(results[2]!.rows).toEqual([{ n: 2 }])
    const error = await db
      .batch([
        ['insert into k (v) values ($1)', ['c']],
        ['insert into k (v) values ($1)', ['a']],
        ['insert into k (v) values ($1)', ['d']],
      ])
      .catch((e: unknown) => e)
    expect(error).toMatchObject({
      code: 'HOTPATH_DB_CONSTRAINT',
      sqlState: '23505',
      fingerprint: 'insert into k(v) values (?)',
    })
    expect(await db.query('select v from k order by id')).toEqual([{ v: 'a' }, { v: 'b' }])
    await expect(
      db.batch([
        [
          'select $1::int',
          [
            {
              toPostgres: () => {
                throw new Error('nope')
              },
            },
          ],
        ],
      ]),
    ).rejects.toMatchObject({
      code: 'HOTPATH_DB_BIND',
    })
    expect(await db.query('select 1 as one')).toEqual([{ one: 1 }])
  })

  it('a failed batch leaves its unrun prepared statements usable on that connection', async () => {
    const db = open({}, { pool: { max: 1 } })
    await db.execute('create table k2 (id int primary key)')
    const after = 'select count(*)::int as n from k2 where id > $1'
    await expect(
      db.batch([
        ['insert into k2 (id) values ($1)', [1]],
        ['insert into k2 (id) values ($1)', [1]],
        [after, [0]],
      ]),
    ).rejects.toMatchObject({ sqlState: '23505' })
    // The statement after the failing one was never parsed: it is parsed (not just bound) next time.
    await expect(db.batch([[after, [0]]])).resolves.toMatchObject([{ rows: [{ n: 0 }] }])
    await expect(db.query(after, [0])).resolves.toEqual([{ n: 0 }])
  })

  it('maps errors to coded errors keeping SQLSTATE and fingerprint; connections stay healthy', async () => {
    const db = open({ statementTimeout: 200 }, { pool: { max: 2 } })
    await expect(db.query('selec 1')).rejects.toMatchObject({
      code: 'HOTPATH_DB_SYNTAX',
      sqlState: '42601',
      fingerprint: 'selec ?',
    })
    await expect(db.query('select $1::int + $2::int', [1])).rejects.toMatchObject({
      code: 'HOTPATH_DB_PARAMETER_COUNT',
    })
    await expect(db.query('select $1::int as n', ['not a number'])).rejects.toMatchObject({
      code: 'HOTPATH_DB_BIND',
      sqlState: '22P02',
      fingerprint: 'select ? :: int as n',
    })
    await expect(db.query('select pg_sleep(2)')).rejects.toMatchObject({
      code: 'HOTPATH_DB_STATEMENT_TIMEOUT',
      sqlState: '57014',
    })
    await expect(db.query('select * from no_such_table')).rejects.toMatchObject({
      code: 'HOTPATH_DB_QUERY',
      sqlState: '42P01',
    })
    await expect(db.query('select $1', { named: 1 })).rejects.toMatchObject({ code: 'HOTPATH_DB_BIND' })
    expect(await db.query('select 2 as two')).toEqual([{ two: 2 }])
    expect((await settledStats(db)).pool).toMatchObject({ used: 0, destroyed: 0 })
  })

  it('gives up on a connection whose server stays silent past statementTimeout + margin', async () => {
    const db = open({ statementTimeout: 200 }, { pool: { max: 1 } })
    // Disable the server-side timeout on this session so only the client-side guard can end the wait.
    await db.execute('set statement_timeout = 0')
    const started = performance.now()
    const error = await db.query('select pg_sleep(5)').catch((e: unknown) => e)
    const waited = performance.now() - started
    expect(error).toMatchObject({ code: 'HOTPATH_DB_STATEMENT_TIMEOUT', fingerprint: 'select pg_sleep(?)' })
    expect(waited).toBeGreaterThanOrEqual(1100)
    expect(waited).toBeLessThan(4000)
    expect(await db.query('select 1 as fresh')).toEqual([{ fresh: 1 }]) // a new connection
    expect(db.stats().pool.destroyed).toBe(1)
  })

  it('rejects acquire after acquireTimeout with the connect error as cause when PostgreSQL is unreachable', async () => {
    const port = await freePort()
    const db = createDatabase({
      driver: postgres({
        connectionString: `postgres://postgres@127.0.0.1:${port}/test`,
        connectTimeout: 1000,
      }),
      // 1 s, not less: a worker starved of CPU for longer than the deadline runs the deadline timer before
      // the refused connect's I/O callback, and the timeout would have no cause yet.
      pool: { acquireTimeout: 1000, failFast: false },
    })
    opened.push(db)
    const started = performance.now()
    const error = await db.query('select 1').catch((e: unknown) => e)
    const elapsed = performance.now() - started
    expect(error).toMatchObject({ code: 'HOTPATH_DB_ACQUIRE_TIMEOUT' })
    expect((error as { cause?: { code?: string } }).cause?.code).toBe('ECONNREFUSED')
    expect(elapsed).toBeGreaterThanOrEqual(990)
    expect(elapsed).toBeLessThan(10_000)
  })

  it('heals when backends are killed with pg_terminate_backend mid-load; nobody hangs', {
    timeout: 30_000,
  }, async () => {
    const app = uniqueId('hp_kill')
    const db = open({ applicationName: app }, { pool: { max: 4, acquireTimeout: 5000 } })
    await db.execute('create table load (id serial primary key, v int)')
    let stop = false
    const errors: { code?: string }[] = []
    let ok = 0
    const worker = async (n: number) => {
      while (!stop) {
        try {
          if (n % 2 === 0) await db.query('select count(*) from load where v = $1', [n])
          else await db.execute('insert into load (v) values ($1)', [n])
          ok++
        } catch (error) {
          errors.push(error as { code?: string })
        }
      }
    }
    const workers = Array.from({ length: 12 }, (_, i) => worker(i))
    let killed = 0
    for (let round = 0; round < 3; round++) {
      await sleep(150)
      const r = await admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1',
        [app],
      )
      killed += r.rowCount ?? 0
    }
    // Healed means serving again after the last kill: wait for 50 more successes (a count, not a time
    // window, so a loaded machine is slower but not failing).
    const afterKills = ok
    await eventually(() => ok >= afterKills + 50, {
      timeoutMs: 15_000,
      what: '50 statements after the kills',
    })
    stop = true
    const settled = await Promise.race([
      Promise.all(workers).then(() => 'settled'),
      sleep(10_000).then(() => 'hung'),
    ])
    expect(settled).toBe('settled')
    expect(killed).toBeGreaterThan(0)
    expect(ok).toBeGreaterThan(50)
    for (const e of errors) expect(['HOTPATH_DB_CONNECTION', 'HOTPATH_DB_QUERY']).toContain(e.code)
    // Healed: fresh connections, and every query works again.
    expect(await db.query('select 1 as ok')).toEqual([{ ok: 1 }])
    const stats = (await settledStats(db)).pool
    expect(stats.destroyed).toBeGreaterThan(0)
    expect(stats.used).toBe(0)
    expect(stats.size).toBeLessThanOrEqual(4)
  })

  it('removes idle connections killed by the server without crashing', async () => {
    const app = uniqueId('hp_idle')
    // No slow-query EXPLAIN: it would borrow the (pipelined, single) connection right after the reads.
    const db = open({ applicationName: app }, { pool: { max: 2 }, explainSlowQueries: false })
    await Promise.all([db.query('select pg_sleep(0.05)'), db.query('select pg_sleep(0.05)')])
    expect(db.stats().pool.idle).toBeGreaterThanOrEqual(1)
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [
      app,
    ])
    await eventually(() => db.stats().pool.idle === 0, { what: 'the killed idle connections to be removed' })
    expect(await db.query('select 3 as three')).toEqual([{ three: 3 }])
  })

  it('analyze(sql) of a parameterised statement without params explains a generic plan (finds the Seq Scan)', async () => {
    const db = open()
    await db.execute('create table orders (id serial primary key, customer text not null, total int)')
    await db.execute(
      "insert into orders (customer, total) select 'c' || (g % 2000), g from generate_series(1, 20000) g",
    )
    await db.execute('analyze orders')
    const sql = 'select id from orders where customer = $1 and total > $2'
    const before = await db.analyze(sql)
    expect(JSON.stringify(before.plan)).not.toContain('One-Time Filter')
    expect(before.findings.find((f) => f.kind === 'full-scan')).toMatchObject({ table: 'orders' })
    await db.execute('CREATE INDEX ON orders (customer)')
    await db.execute('analyze orders')
    const after = await db.analyze(sql)
    expect(after.findings.filter((f) => f.kind === 'full-scan')).toEqual([])
    // The statement still runs prepared afterwards on the same pool (the helper statement was deallocated).
    expect(await db.query(sql, ['c7', 0])).toHaveLength(10)
  })

  it('analyze finds a planted Seq Scan; the suggested index removes it', async () => {
    const db = open({}, { slowQueryThreshold: 0 })
    await db.execute('create table orders (id serial primary key, customer text not null, total int)')
    await db.execute(
      "insert into orders (customer, total) select 'c' || (g % 2000), g from generate_series(1, 20000) g",
    )
    await db.execute('analyze orders')
    const sql = 'select id from orders where customer = $1'
    const before = await db.analyze(sql, ['c7'])
    const scan = before.findings.find((f) => f.kind === 'full-scan')
    expect(scan).toMatchObject({
      table: 'orders',
      suggestion: 'CREATE INDEX idx_orders_customer ON orders (customer)',
    })
    expect(JSON.stringify(before.plan)).toContain('Seq Scan')
    await db.execute(scan!.suggestion!)
    await db.execute('analyze orders')
    const after = await db.analyze(sql, ['c7'])
    expect(after.findings.filter((f) => f.kind === 'full-scan')).toEqual([])
    expect(JSON.stringify(after.plan)).toMatch(/Index|Bitmap/)
    const slow = await db.slowQueries()
    expect(slow.length).toBeGreaterThan(0)
    expect(slow.every((s) => !s.sql.includes('c7'))).toBe(true)
  })
})
