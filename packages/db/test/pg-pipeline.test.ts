// Auto-pipelining of autocommit reads on PostgreSQL: correctness against the real server.
import { capture, eventually, type FreshSchema, freshSchema, requirePostgres } from '@hotpath/test-helpers'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createDatabase, type Database, postgres } from '../src/index.ts'

let available = false
let schema: FreshSchema
const opened: Database[] = []

beforeAll(async () => {
  available = await requirePostgres()
})
beforeEach(async (ctx) => {
  if (!available) ctx.skip()
  schema = await freshSchema()
})
afterEach(async () => {
  await Promise.all(opened.splice(0).map((db) => db.close()))
  await schema?.drop()
})

const open = (options: Parameters<typeof postgres>[0] = {}, max = 2) => {
  const db = createDatabase({
    name: 'pipe',
    driver: postgres({ connectionString: schema.url, ...options }),
    pool: { max },
  })
  opened.push(db)
  return db
}

describe('postgres auto-pipelining', () => {
  it('gives each of 200 concurrent distinct parameterised reads its own row', async () => {
    const db = open({ pipeline: { maxDepth: 8 } })
    await db.execute('CREATE TABLE t (id int PRIMARY KEY, v text NOT NULL)')
    await db.execute("INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 200) g")
    const ids = Array.from({ length: 200 }, (_, i) => i + 1)
    const seen = capture<{ summary: string; rows: number }>('hotpath:db:query')
    const rows = await Promise.all(ids.map((id) => db.query('SELECT id, v FROM t WHERE id = $1', [id])))
    seen.stop()
    expect(rows).toEqual(ids.map((id) => [{ id, v: `v${id}` }]))
    // Every pipelined statement still publishes its own message.
    expect(seen.messages.filter((m) => m.summary === 'SELECT t' && m.rows === 1)).toHaveLength(200)
    const p = db.stats().pipeline!
    expect(p.enabled).toBe(true)
    expect(p.statements).toBeGreaterThan(100)
    expect(p.maxDepthSeen).toBeGreaterThan(1)
    expect(p.maxDepthSeen).toBeLessThanOrEqual(8)
    expect(Object.values(p.depths).reduce((a, b) => a + b, 0)).toBe(p.flushes)
  })

  it('fails only the failing statement among 20 pipelined, with its coded error', async () => {
    const db = open({}, 1)
    const hold = db.query('SELECT pg_sleep(0.1)')
    const calls = Array.from({ length: 20 }, (_, i) =>
      db.query<{ x: number }>('SELECT 100 / $1::int AS x', [i === 7 ? 0 : i + 1]),
    )
    const settled = await Promise.allSettled(calls)
    await hold
    expect(db.stats().pipeline!.maxDepthSeen).toBeGreaterThan(1)
    settled.forEach((s, i) => {
      if (i === 7) {
        expect(s.status).toBe('rejected')
        expect((s as PromiseRejectedResult).reason).toMatchObject({
          code: 'HOTPATH_DB_BIND',
          details: expect.objectContaining({ sqlState: '22012' }),
        })
      } else expect(s).toEqual({ status: 'fulfilled', value: [{ x: Math.trunc(100 / (i + 1)) }] })
    })
    // The connection stays usable after the error.
    await expect(db.query('SELECT 1 AS one')).resolves.toEqual([{ one: 1 }])
  })

  it('pipelines nothing inside transaction()', async () => {
    const db = open({}, 1)
    await db.query('SELECT 1')
    const before = db.stats().pipeline!.statements
    const out = await db.transaction(async (tx) =>
      Promise.all(Array.from({ length: 20 }, (_, i) => tx.query<{ n: number }>('SELECT $1::int AS n', [i]))),
    )
    expect(out.map((r) => r[0]!.n)).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(db.stats().pipeline!.statements).toBe(before)
  })

  it('pipeline: false sends every read on its own', async () => {
    const db = open({ pipeline: false }, 1)
    const rows = await Promise.all(Array.from({ length: 20 }, (_, i) => db.query('SELECT $1::int AS n', [i])))
    expect(rows.map((r) => r[0]!.n)).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(db.stats().pipeline).toMatchObject({ enabled: false, statements: 0, maxDepth: 0 })
  })

  it('an aborted queued read fails alone', async () => {
    const db = open({}, 1)
    const hold = db.query('SELECT pg_sleep(0.2)')
    const ac = new AbortController()
    const before = db.query('SELECT $1::int AS n', [1])
    const target = db.query('SELECT $1::int AS n', [2], { signal: ac.signal })
    const after = db.query('SELECT $1::int AS n', [3])
    ac.abort(new Error('no longer needed'))
    await expect(target).rejects.toMatchObject({ code: 'HOTPATH_DB_ABORTED' })
    await expect(Promise.all([hold, before, after])).resolves.toEqual([
      [{ pg_sleep: '' }],
      [{ n: 1 }],
      [{ n: 3 }],
    ])
    // The aborted read left the queue before the tick's reads were sent: hold, before and after went.
    expect(db.stats().pipeline!.statements).toBe(3)
  })

  it('an aborted read already sent in a pipeline fails alone; the others and the connection are fine', async () => {
    const db = open({}, 1)
    const hold = db.query('SELECT pg_sleep(0.05)')
    const slow = db.query('SELECT pg_sleep($1::float8) AS s', [0.3])
    const ac = new AbortController()
    const target = db.query('SELECT $1::int AS n', [2], { signal: ac.signal })
    const after = db.query('SELECT $1::int AS n', [3])
    await hold
    await eventually(() => db.stats().pipeline!.flushes >= 1, { what: 'the pipeline was sent' })
    ac.abort(new Error('no longer needed'))
    await expect(target).rejects.toMatchObject({ code: 'HOTPATH_DB_ABORTED' })
    await expect(Promise.all([slow, after])).resolves.toEqual([[{ s: '' }], [{ n: 3 }]])
    await expect(db.query('SELECT $1::int AS n', [4])).resolves.toEqual([{ n: 4 }])
  })

  it('retries the reads of a pipeline whose connection was terminated, on a fresh connection', async () => {
    const db = open({}, 1)
    const [row] = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
    const pid = row!.pid
    // connected before the window: the terminate below is one round trip, well inside the first read's 300 ms
    const admin = createDatabase({ name: 'admin', driver: postgres({ connectionString: schema.url }) })
    opened.push(admin)
    await admin.query('SELECT 1')
    const hold = db.query('SELECT pg_sleep(0.05)')
    const reads = [3, 1, 2, 0.5].map((n) =>
      db.query('SELECT $1::float8 AS n, pg_sleep($1::float8 / 10)', [n]),
    )
    await hold
    await eventually(() => db.stats().pipeline!.flushes >= 1, { what: 'the pipeline was sent' })
    const seen = capture<{ fingerprint: string; pipelined: boolean }>('hotpath:db:query')
    await admin.query('SELECT pg_terminate_backend($1::int)', [pid])
    const rows = await Promise.all(reads)
    seen.stop()
    expect(rows.map((r) => r[0]!.n)).toEqual([3, 1, 2, 0.5])
    expect(db.stats().pool.destroyed).toBeGreaterThanOrEqual(1)
    // each retried read was last sent on its own (a pg Client#query call of its own), not in a pipeline
    const retried = seen.messages.filter((m) => m.fingerprint.includes('float8 as n'))
    expect(retried.map((m) => m.pipelined)).toEqual([false, false, false, false])
  })

  it('hotpath:db:query says how each statement was sent: pipelined, alone, or in a batch', async () => {
    const db = open({}, 1)
    await db.execute('CREATE TABLE t (id int PRIMARY KEY)')
    const seen = capture<{ operation: string; pipelined: boolean; batchSize?: number }>('hotpath:db:query')
    await db.query('SELECT $1::int AS lone', [1])
    // alone in the queue with a signal: sent on its own (an abort can cancel it on the server)
    await db.query('SELECT $1::int AS signalled', [1], { signal: new AbortController().signal })
    await Promise.all([
      db.query('SELECT $1::int AS a', [1]),
      db.query('SELECT $1::int AS b', [2], { signal: new AbortController().signal }),
    ])
    await db.execute('INSERT INTO t VALUES ($1)', [1])
    await db.batch([['INSERT INTO t VALUES ($1)', [2]], 'SELECT 1 AS one'])
    await db.transaction((tx) => tx.query('SELECT $1::int AS tx', [1]))
    seen.stop()
    expect(seen.messages.map((m) => [m.operation, m.pipelined, m.batchSize])).toEqual([
      ['SELECT', true, undefined],
      ['SELECT', false, undefined],
      ['SELECT', true, undefined],
      ['SELECT', true, undefined],
      ['INSERT', false, undefined],
      ['INSERT', false, 2],
      ['SELECT', false, 2],
      ['SELECT', false, undefined],
    ])
  })

  it('sends a pipelined read as a named prepared statement, parsed once per connection', async () => {
    const db = open({}, 1)
    const sql = 'SELECT $1::int AS n'
    const hold = db.query('SELECT pg_sleep(0.05)')
    const reads = [1, 2, 3].map((n) => db.query(sql, [n]))
    const count = db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement = $1',
      [sql],
    )
    await hold
    await expect(Promise.all(reads)).resolves.toEqual([[{ n: 1 }], [{ n: 2 }], [{ n: 3 }]])
    await expect(count).resolves.toEqual([{ n: 1 }])
    expect(db.stats().pipeline!.maxDepthSeen).toBeGreaterThan(1)
  })

  it('decodes a statement sent again without Describe with the row shape described on its connection', async () => {
    const db = open({}, 1)
    const sql = 'SELECT $1::int AS n, $2::text AS t, $3::float8 AS f, NULL::int AS z'
    const round = async (k: number) => {
      const hold = db.query('SELECT pg_sleep(0.02)')
      const reads = [1, 2].map((n) => db.query(sql, [n * k, `t${n}`, n / 2]))
      await hold
      return Promise.all(reads)
    }
    const expected = (k: number) => [1, 2].map((n) => [{ n: n * k, t: `t${n}`, f: n / 2, z: null }])
    await expect(round(1)).resolves.toEqual(expected(1))
    await expect(round(10)).resolves.toEqual(expected(10))
    await expect(round(100)).resolves.toEqual(expected(100))
  })

  it('reports a failing Parse to every pipelined copy of the statement (not a missing prepared statement)', async () => {
    const db = open({}, 1)
    const hold = db.query('SELECT pg_sleep(0.05)')
    const reads = [1, 2, 3, 4].map((n) => db.query('SELECT $1::int AS n FROM no_such_table_hp', [n]))
    await hold
    const settled = await Promise.allSettled(reads)
    expect(db.stats().pipeline!.maxDepthSeen).toBeGreaterThan(1)
    for (const s of settled) {
      expect(s.status).toBe('rejected')
      expect((s as PromiseRejectedResult).reason).toMatchObject({ sqlState: '42P01' })
    }
    await expect(db.query('SELECT $1::int AS n', [5])).resolves.toEqual([{ n: 5 }])
  })

  it('re-prepares a pipelined statement whose cached plan went stale after a schema change', async () => {
    const db = open({}, 1)
    await db.execute('CREATE TABLE t (id int PRIMARY KEY)')
    await db.execute('INSERT INTO t VALUES (1), (2)')
    const sql = 'SELECT * FROM t WHERE id = $1'
    const round = async () => {
      const hold = db.query('SELECT pg_sleep(0.05)')
      const reads = [1, 2].map((id) => db.query(sql, [id]))
      await hold
      return Promise.all(reads)
    }
    await expect(round()).resolves.toEqual([[{ id: 1 }], [{ id: 2 }]])
    await db.execute('ALTER TABLE t ADD COLUMN w int')
    await expect(round()).resolves.toEqual([[{ id: 1, w: null }], [{ id: 2, w: null }]])
  })

  it('hands an answered read over before a slow statement later in its pipeline ends', async () => {
    const db = open({}, 1)
    await db.query('SELECT 1')
    const fast = db.query('SELECT $1::int AS n', [1])
    let slowDone = false
    const slow = db.query('SELECT pg_sleep($1::float8) AS s', [1]).finally(() => {
      slowDone = true
    })
    const after = db.query('SELECT $1::int AS n', [2])
    await expect(fast).resolves.toEqual([{ n: 1 }])
    expect(slowDone).toBe(false)
    await expect(Promise.all([slow, after])).resolves.toEqual([[{ s: '' }], [{ n: 2 }]])
    expect(db.stats().pipeline!.maxDepthSeen).toBe(3)
  })

  it('validates pipeline options', () => {
    expect(() => postgres({ pipeline: { maxDepth: 0 } })).toThrow(/pipeline\.maxDepth/)
    expect(() => postgres({ pipeline: { maxDepth: 2.5 } })).toThrow(
      expect.objectContaining({ code: 'HOTPATH_DB_INVALID_OPTION' }),
    )
    expect(() => postgres({ pipeline: { depth: 4 } as never })).toThrow(
      expect.objectContaining({ code: 'HOTPATH_DB_INVALID_OPTION' }),
    )
    expect(() => postgres({ pipeline: true as never })).toThrow(
      expect.objectContaining({ code: 'HOTPATH_DB_INVALID_OPTION' }),
    )
  })
})
