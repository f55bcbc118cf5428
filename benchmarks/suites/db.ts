// @hotpath/db against the pools and drivers users compare it with: generic-pool and tarn (pool core),
// pg.Pool (PostgreSQL `select 1`), 20 awaited queries (vs one pipelined batch), raw node:sqlite
// prepared get (SQLite point read on a 100k-row table) and a query-cache hit. Targets encode issue 5.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { createDatabase, createPool, postgres, sqlite } from '@hotpath/db'
import genericPool from 'generic-pool'
import pg from 'pg'
import { Pool as TarnPool } from 'tarn'
import { asyncOpsPerSecond, concurrentOpsPerSecond, opsPerSecond } from '../src/measure.ts'
import { defineSuite } from '../src/suite.ts'

const pgUrl = process.env.HOTPATH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const ROWS = 100_000
const HOT = 1024 // ids kept hot in the query cache

// ---- pool core: a trivial resource, so only the pool's own cost is measured
const resource = () => ({ n: 0 })
const ours1 = createPool({ name: 'bench-1', create: resource, max: 1 })
const ours10 = createPool({ name: 'bench-10', create: resource, max: 10 })
const generic1 = genericPool.createPool(
  { create: async () => resource(), destroy: async () => {} },
  { max: 1 },
)
const generic10 = genericPool.createPool(
  { create: async () => resource(), destroy: async () => {} },
  { max: 10 },
)
const tarn1 = new TarnPool({
  create: (cb: (e: Error | null, r: object) => void) => cb(null, resource()),
  destroy: () => {},
  min: 0,
  max: 1,
})
const tarn10 = new TarnPool({
  create: (cb: (e: Error | null, r: object) => void) => cb(null, resource()),
  destroy: () => {},
  min: 0,
  max: 10,
})

const oursCycle = (pool: typeof ours1) => async () => {
  const lease = await pool.acquire()
  lease.release()
}
const genericCycle = (pool: typeof generic1) => async () => {
  const r = await pool.acquire()
  await pool.release(r)
}
const tarnCycle = (pool: typeof tarn1) => async () => {
  const r = await pool.acquire().promise
  pool.release(r)
}

// ---- databases (opened in setup)
let dir = ''
let rawSqlite: DatabaseSync
let rawGet: ReturnType<DatabaseSync['prepare']>
let lite: ReturnType<typeof createDatabase>
let pgDb: ReturnType<typeof createDatabase>
let pgPool: pg.Pool
const batch20 = Array.from({ length: 20 }, (_, i) => ['select $1::int as n', [i]] as const)
const idOf = (i: number) => ((i * 7919) % ROWS) + 1

export default defineSuite({
  name: 'db',
  title:
    '@hotpath/db: pool acquire+release, PostgreSQL select 1 and batch, SQLite point read and query cache',
  unit: 'ops/s',
  rounds: 5,
  baseline: {
    'pool, 1 in flight': 'generic-pool',
    'pool, 50 concurrent, max 10': 'generic-pool (50)',
    'PostgreSQL select 1, 50 concurrent': 'pg.Pool max 10',
    'PostgreSQL 20 statements': '20 awaited db.query',
    'SQLite point read, 100k rows': 'node:sqlite prepared get',
  },
  async setup() {
    dir = mkdtempSync(join(tmpdir(), 'hp-bench-db-'))
    const file = join(dir, 'bench.db')
    const seed = new DatabaseSync(file)
    seed.exec('pragma journal_mode = wal')
    seed.exec(
      'create table items (id integer primary key, name text not null, price integer not null, tag text)',
    )
    const insert = seed.prepare('insert into items (id, name, price, tag) values (?, ?, ?, ?)')
    seed.exec('begin')
    for (let i = 1; i <= ROWS; i++) insert.run(i, `item-${i}`, i % 997, `t${i % 50}`)
    seed.exec('commit')
    seed.close()
    rawSqlite = new DatabaseSync(file, { readOnly: true })
    rawGet = rawSqlite.prepare('select id, name, price, tag from items where id = ?')
    lite = createDatabase({ name: 'bench-sqlite', driver: sqlite({ filename: file }) })
    for (let i = 0; i < HOT; i++)
      await lite.query('select id, name, price, tag from items where id = ?', [idOf(i)], { cache: true })
    pgDb = createDatabase({
      name: 'bench-pg',
      driver: postgres({ connectionString: pgUrl }),
      pool: { max: 10, min: 10 },
    })
    pgPool = new pg.Pool({ connectionString: pgUrl, max: 10 })
    await Promise.all(
      Array.from({ length: 20 }, () => Promise.all([pgDb.query('select 1'), pgPool.query('select 1')])),
    )
  },
  async teardown() {
    await Promise.all([ours1.close(), ours10.close(), lite.close(), pgDb.close(), pgPool.end()])
    await Promise.all([
      generic1.drain().then(() => generic1.clear()),
      generic10.drain().then(() => generic10.clear()),
    ])
    await Promise.all([tarn1.destroy(), tarn10.destroy()])
    rawSqlite.close()
    rmSync(dir, { recursive: true, force: true })
  },
  contenders: [
    {
      group: 'pool, 1 in flight',
      name: '@hotpath/db pool',
      measure: () => asyncOpsPerSecond(oursCycle(ours1), 400),
    },
    {
      group: 'pool, 1 in flight',
      name: 'generic-pool',
      measure: () => asyncOpsPerSecond(genericCycle(generic1), 400),
    },
    { group: 'pool, 1 in flight', name: 'tarn', measure: () => asyncOpsPerSecond(tarnCycle(tarn1), 400) },
    {
      group: 'pool, 50 concurrent, max 10',
      name: '@hotpath/db pool (50)',
      measure: () => concurrentOpsPerSecond(oursCycle(ours10), 50, 400, 64),
    },
    {
      group: 'pool, 50 concurrent, max 10',
      name: 'generic-pool (50)',
      measure: () => concurrentOpsPerSecond(genericCycle(generic10), 50, 400, 64),
    },
    {
      group: 'pool, 50 concurrent, max 10',
      name: 'tarn (50)',
      measure: () => concurrentOpsPerSecond(tarnCycle(tarn10), 50, 400, 64),
    },
    {
      group: 'PostgreSQL select 1, 50 concurrent',
      name: "db.query('select 1')",
      measure: () => concurrentOpsPerSecond(() => pgDb.query('select 1'), 50, 700, 64),
    },
    {
      group: 'PostgreSQL select 1, 50 concurrent',
      name: 'pg.Pool max 10',
      measure: () => concurrentOpsPerSecond(() => pgPool.query('select 1'), 50, 700, 64),
    },
    {
      group: 'PostgreSQL 20 statements',
      name: 'db.batch(20)',
      unit: 'batches/s',
      measure: () => asyncOpsPerSecond(() => pgDb.batch(batch20), 500),
    },
    {
      group: 'PostgreSQL 20 statements',
      name: '20 awaited db.query',
      unit: 'batches/s',
      measure: () =>
        asyncOpsPerSecond(async () => {
          for (const [sql, params] of batch20) await pgDb.query(sql, params)
        }, 500),
    },
    {
      group: 'SQLite point read, 100k rows',
      name: 'node:sqlite prepared get',
      measure: () => opsPerSecond((i) => rawGet.get(idOf(i)), 300),
    },
    {
      group: 'SQLite point read, 100k rows',
      name: 'db.query point read',
      measure: () =>
        asyncOpsPerSecond(
          (i) => lite.query('select id, name, price, tag from items where id = ?', [idOf(i)]),
          300,
        ),
    },
    {
      group: 'SQLite point read, 100k rows',
      name: 'db.query cache hit',
      measure: () =>
        asyncOpsPerSecond(
          (i) =>
            lite.query('select id, name, price, tag from items where id = ?', [idOf(i & (HOT - 1))], {
              cache: true,
            }),
          300,
        ),
    },
  ],
  targets: [
    { name: '@hotpath/db pool', vs: 'generic-pool', atLeast: 1.5 },
    { name: '@hotpath/db pool', vs: 'tarn', atLeast: 4 },
    { name: '@hotpath/db pool (50)', vs: 'generic-pool (50)', atLeast: 1.5 },
    { name: '@hotpath/db pool (50)', vs: 'tarn (50)', atLeast: 4 },
    { name: "db.query('select 1')", vs: 'pg.Pool max 10', atLeast: 1.0 },
    { name: 'db.batch(20)', vs: '20 awaited db.query', atLeast: 2 },
    { name: 'db.query point read', vs: 'node:sqlite prepared get', atLeast: 0.8 },
    { name: 'db.query cache hit', vs: 'db.query point read', atLeast: 3 },
  ],
})
