// The hotpath:db:query tracing channel: one start..asyncEnd per statement run (query, execute, transaction),
// the context names the operation, the table and the real database; a failure carries the SQLSTATE.
import { tracingChannel } from 'node:diagnostics_channel'
import { captureTracing, freshSchema, requirePostgres } from '@hotpath/test-helpers'
import { afterEach, describe, expect, it } from 'vitest'
import { createDatabase, type DbQueryTraceContext, postgres } from '../src/index.ts'

const channel = tracingChannel<object, DbQueryTraceContext>('hotpath:db:query')
type Seen = { event: string; ctx: DbQueryTraceContext }
let unsubscribe: (() => void) | undefined
afterEach(() => unsubscribe?.())

function record(): Seen[] {
  const capture = captureTracing<DbQueryTraceContext>('hotpath:db:query')
  unsubscribe = capture.stop
  return capture.events
}

describe('hotpath:db:query tracing channel', () => {
  it('SQLite: query, execute and a transaction statement each trace once; cache hits do not', async () => {
    await using db = createDatabase({ name: 'mem', queryCache: {} })
    await db.execute('CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER)')
    const seen = record()
    await db.execute('INSERT INTO orders VALUES (1, 42)')
    await db.query('SELECT total FROM orders WHERE id = ?', [1])
    await db.transaction(async (tx) => {
      await tx.query('SELECT count(*) AS n FROM orders')
    })
    await db.query('SELECT total FROM orders', [], { cache: 60_000 })
    await db.query('SELECT total FROM orders', [], { cache: 60_000 })
    const starts = seen.filter((s) => s.event === 'start').map((s) => s.ctx)
    expect(starts.map((c) => c.summary)).toEqual([
      'INSERT orders',
      'SELECT orders',
      'SELECT orders',
      'SELECT orders',
    ])
    expect(seen.filter((s) => s.event === 'asyncEnd')).toHaveLength(4)
    expect(starts[1]).toMatchObject({
      database: 'mem',
      system: 'sqlite',
      namespace: ':memory:',
      operation: 'SELECT',
      collection: 'orders',
      rows: 1,
    })
    expect(starts[0]?.rows).toBe(1)
  })

  it('one trace for a db.batch(): BATCH <operation>, its size, the rows of all statements', async () => {
    await using db = createDatabase({ name: 'mem' })
    await db.execute('CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER)')
    const seen = record()
    await db.batch([
      ['INSERT INTO orders VALUES (?, ?)', [1, 10]],
      ['INSERT INTO orders VALUES (?, ?)', [2, 20]],
    ])
    await db.batch(['SELECT 1 AS one', ['INSERT INTO orders VALUES (?, ?)', [3, 30]]])
    const ends = seen.filter((s) => s.event === 'asyncEnd').map((s) => s.ctx)
    expect(ends).toHaveLength(2)
    expect(ends[0]).toMatchObject({
      operation: 'BATCH INSERT',
      summary: 'BATCH INSERT orders',
      collection: 'orders',
      batchSize: 2,
      rows: 2,
    })
    expect(ends[1]).toMatchObject({ operation: 'BATCH', summary: 'BATCH', batchSize: 2 })
    expect(ends[1]?.collection).toBeUndefined()
  })

  it('PostgreSQL: the real database, server address and port; a failed statement has its SQLSTATE', async (ctx) => {
    if (!(await requirePostgres())) return ctx.skip()
    const schema = await freshSchema()
    try {
      await using db = createDatabase({ name: 'orders', driver: postgres({ connectionString: schema.url }) })
      await db.execute('CREATE TABLE t (id int primary key)')
      await db.execute('INSERT INTO t VALUES ($1)', [1])
      const seen = record()
      await db.query('SELECT id FROM t WHERE id = $1', [1])
      await expect(db.execute('INSERT INTO t VALUES ($1)', [1])).rejects.toMatchObject({
        sqlState: '23505',
      })
      expect(seen.map((s) => s.event)).toEqual([
        'start',
        'end',
        'asyncStart',
        'asyncEnd',
        'start',
        'end',
        'error',
        'asyncStart',
        'asyncEnd',
      ])
      const [read, write] = [seen[0]!.ctx, seen[4]!.ctx]
      const url = new URL(schema.url)
      expect(read).toMatchObject({
        system: 'postgresql',
        namespace: url.pathname.slice(1),
        serverAddress: url.hostname,
        serverPort: Number(url.port || 5432),
        operation: 'SELECT',
        summary: 'SELECT t',
        pipelined: true,
        rows: 1,
      })
      expect(write.pipelined).toBe(false)
      expect(read.sqlState).toBeUndefined()
      expect(write.sqlState).toBe('23505')
      expect((write.error as { code?: string }).code).toBe('HOTPATH_DB_CONSTRAINT')
    } finally {
      await schema.drop()
    }
  })

  it('pipelined is corrected to how the read was sent: alone in the queue with a signal, on its own', async (ctx) => {
    if (!(await requirePostgres())) return ctx.skip()
    const schema = await freshSchema()
    try {
      await using db = createDatabase({ name: 'orders', driver: postgres({ connectionString: schema.url }) })
      const seen = record()
      const atStart: boolean[] = []
      const watch = { start: (c: DbQueryTraceContext) => atStart.push(c.pipelined) }
      channel.subscribe(watch as never)
      await db.query('SELECT $1::int AS n', [1], { signal: new AbortController().signal })
      channel.unsubscribe(watch as never)
      // expected at start (a read that can be pipelined); sent alone, so that an abort can cancel it
      expect(atStart).toEqual([true])
      expect(seen.find((s) => s.event === 'asyncEnd')?.ctx.pipelined).toBe(false)
    } finally {
      await schema.drop()
    }
  })
})
