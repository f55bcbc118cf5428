// hotpath:db:query / :slow-query carry the semantic-convention facts @hotpath/metrics needs: db.namespace,
// server.address / server.port (PostgreSQL) and the SQLSTATE of a failed PostgreSQL statement.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  capture,
  type FreshSchema,
  freePort,
  freshSchema,
  postgresUrl,
  requirePostgres,
} from '@hotpath/test-helpers'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDatabase, type DbQueryEvent, postgres, sqlite } from '../src/index.ts'
import { postgresTarget, sqliteTarget } from '../src/drivers/target.ts'

describe('SQLite query events', () => {
  it('name the in-memory database ":memory:" and carry no server', async () => {
    await using db = createDatabase({ name: 'mem', slowQueryThreshold: 0 })
    const events = capture<DbQueryEvent>('hotpath:db:query')
    const slow = capture<DbQueryEvent>('hotpath:db:slow-query')
    await db.query('SELECT 1 AS one')
    events.stop()
    slow.stop()
    expect(events.messages[0]).toMatchObject({ database: 'mem', system: 'sqlite', namespace: ':memory:' })
    expect(events.messages[0]).not.toHaveProperty('serverAddress')
    expect(events.messages[0]).not.toHaveProperty('serverPort')
    expect(slow.messages[0]).toMatchObject({ system: 'sqlite', namespace: ':memory:' })
  })

  it('name a file database by its basename; a failure has our code and no sqlState', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hp-db-attrs-'))
    try {
      await using db = createDatabase({ name: 'f', driver: sqlite({ filename: join(dir, 'orders.db') }) })
      await db.execute('CREATE TABLE t (id INTEGER PRIMARY KEY)')
      await db.execute('INSERT INTO t (id) VALUES (1)')
      const events = capture<DbQueryEvent>('hotpath:db:query')
      await expect(db.execute('INSERT INTO t (id) VALUES (1)')).rejects.toMatchObject({
        code: 'HOTPATH_DB_CONSTRAINT',
      })
      events.stop()
      expect(events.messages[0]?.namespace).toBe('orders.db')
      expect(events.messages[0]?.error).toMatchObject({ code: 'HOTPATH_DB_CONSTRAINT' })
      expect(events.messages[0]?.error).not.toHaveProperty('sqlState')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('resolve file: URIs and in-memory names', () => {
    expect(sqliteTarget('')).toEqual({ namespace: ':memory:' })
    expect(sqliteTarget('file::memory:?cache=shared')).toEqual({ namespace: ':memory:' })
    expect(sqliteTarget('file:/var/data/app.db?mode=ro')).toEqual({ namespace: 'app.db' })
    expect(sqliteTarget('./data/app.sqlite')).toEqual({ namespace: 'app.sqlite' })
  })
})

describe('PostgreSQL target resolution (as pg resolves it)', () => {
  it('reads the connection string over the client fields, and a ?host= socket directory', () => {
    expect(postgresTarget('postgres://u@db.internal:6543/orders', { host: 'other', database: 'x' })).toEqual({
      namespace: 'orders',
      serverAddress: 'db.internal',
      serverPort: 6543,
    })
    expect(postgresTarget('postgresql:///orders?host=/var/run/postgresql', {})).toMatchObject({
      namespace: 'orders',
      serverAddress: '/var/run/postgresql',
    })
    expect(postgresTarget(undefined, { host: '10.0.0.5', port: 5433, database: 'app' })).toEqual({
      namespace: 'app',
      serverAddress: '10.0.0.5',
      serverPort: 5433,
    })
  })
})

describe('PostgreSQL query events', () => {
  let available = false
  let schema: FreshSchema
  let database = ''
  beforeAll(async () => {
    available = await requirePostgres()
    if (!available) return
    schema = await freshSchema()
    const admin = new pg.Client({ connectionString: postgresUrl() })
    await admin.connect()
    database = (await admin.query('SELECT current_database() AS d')).rows[0].d as string
    await admin.end()
  })
  afterAll(async () => {
    await schema?.drop()
  })

  it('carry namespace, server address and port, and the SQLSTATE of a failure', async (ctx) => {
    if (!available) ctx.skip()
    const url = new URL(schema.url)
    await using db = createDatabase({
      name: 'pgattrs',
      driver: postgres({ connectionString: schema.url }),
      slowQueryThreshold: 0,
    })
    await db.execute('CREATE TABLE t (id int PRIMARY KEY)')
    await db.execute('INSERT INTO t (id) VALUES ($1)', [1])
    const events = capture<DbQueryEvent>('hotpath:db:query')
    const slow = capture<DbQueryEvent>('hotpath:db:slow-query')
    await db.query('SELECT id FROM t WHERE id = $1', [1])
    await expect(db.execute('INSERT INTO t (id) VALUES ($1)', [1])).rejects.toMatchObject({
      code: 'HOTPATH_DB_CONSTRAINT',
      sqlState: '23505',
    })
    // Reads sent through the auto-pipeline report the same facts.
    const reads = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => db.query('SELECT 1 / $1::int AS x', [i % 10])),
    )
    events.stop()
    slow.stop()
    const expected = {
      database: 'pgattrs',
      system: 'postgresql',
      namespace: database,
      serverAddress: url.hostname,
      serverPort: Number(url.port || 5432),
    }
    const [ok, failed] = events.messages
    expect(ok).toMatchObject({ ...expected, operation: 'SELECT' })
    expect(ok).not.toHaveProperty('error')
    expect(failed).toMatchObject({
      ...expected,
      operation: 'INSERT',
      error: { code: 'HOTPATH_DB_CONSTRAINT', sqlState: '23505' },
    })
    expect(slow.messages[0]).toMatchObject(expected)
    expect(reads.filter((r) => r.status === 'rejected')).toHaveLength(3)
    const divisions = events.messages.slice(2)
    expect(divisions).toHaveLength(30)
    for (const e of divisions) expect(e).toMatchObject(expected)
    expect(divisions.filter((e) => e.error !== undefined).map((e) => e.error?.sqlState)).toEqual([
      '22012',
      '22012',
      '22012',
    ])
  })

  it('carry the configured target when the server cannot be reached (no SQLSTATE)', async () => {
    const port = await freePort()
    await using db = createDatabase({
      name: 'down',
      driver: postgres({ connectionString: `postgres://nobody@127.0.0.1:${port}/inventory` }),
    })
    const events = capture<DbQueryEvent>('hotpath:db:query')
    await expect(db.query('SELECT 1')).rejects.toBeInstanceOf(Error)
    events.stop()
    expect(events.messages[0]).toMatchObject({
      system: 'postgresql',
      namespace: 'inventory',
      serverAddress: '127.0.0.1',
      serverPort: port,
    })
    expect(events.messages[0]?.error?.code).toMatch(/^HOTPATH_DB_/)
    expect(events.messages[0]?.error).not.toHaveProperty('sqlState')
  })
})
