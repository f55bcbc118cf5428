// @hotpath/db against the pools and drivers users compare it with: generic-pool and tarn (pool core),
// pg.Pool and postgres.js (PostgreSQL `select 1`), Promise.all and postgres.js pipelining (a batch of 20),
// raw node:sqlite with the same pragmas (SQLite point read on a 100k-row table) and a query-cache hit; the
// longest single write of 4000 with background vs SQLite's inline WAL checkpoints.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { createDatabase, createPool, postgres, sqlite } from '@hotpath/db'
import genericPool from 'generic-pool'
import pg from 'pg'
import { Pool as TarnPool } from 'tarn'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { expectSame } from '../src/check.ts'
import { asyncOpsPerSecond, concurrentOpsPerSecond, opsPerSecond, recordWindow } from '../src/measure.ts'
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
/** The same database without auto-pipelining: 20 statements as 20 separate round trips. */
let pgDbSeparate: ReturnType<typeof createDatabase>
let pgPool: pg.Pool
const batch20 = Array.from({ length: 20 }, (_, i) => ['select $1::int as n', [i]] as const)
const idOf = (i: number) => ((i * 7919) % ROWS) + 1
const pointSql = 'select id, name, price, tag from items where id = ?'
const PG_TABLE = `hp_bench_items_${process.pid}`
const PG_ROWS = 10_000
const pgPointSql = `select id, name, price from ${PG_TABLE} where id = $1`
const pgIdOf = (i: number) => ((i * 7919) % PG_ROWS) + 1
const pgRow = (id: number) => ({ id, name: `item-${id}`, price: id % 997 })
const expectedRow = (id: number) => ({ id, name: `item-${id}`, price: id % 997, tag: `t${id % 50}` })
// The pragmas @hotpath/db's sqlite driver sets on every connection, applied to raw node:sqlite too.
const OUR_PRAGMAS = [
  'cache_size = -32000',
  'temp_store = MEMORY',
  'mmap_size = 268435456',
  'foreign_keys = ON',
]

// ---- SQLite sustained writes: the longest the event loop is held by one write. With SQLite's own (inline)
// autocheckpoint, the commit that takes the WAL past 1000 pages copies them into the file and fsyncs it.
const WRITES = 4000
let writeRuns = 0
async function longestWriteMs(checkpoint: 'background' | 'inline'): Promise<number> {
  const file = join(dir, `writes-${checkpoint}-${++writeRuns}.db`)
  const db = createDatabase({
    name: `bench-writes-${checkpoint}`,
    driver: sqlite({ filename: file, checkpoint }),
    queryCache: false,
  })
  try {
    await db.execute('create table w (id integer primary key, v text not null)')
    const payload = 'x'.repeat(2000)
    let longest = 0
    const cpu0 = process.threadCpuUsage()
    const t0 = performance.now()
    for (let i = 0; i < WRITES; i++) {
      const start = performance.now()
      await db.execute('insert into w (v) values (?)', [payload])
      longest = Math.max(longest, performance.now() - start)
      // A turn of the event loop now and then, as in a service (the background checkpoint's reply lands).
      if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve))
    }
    const cpu = process.threadCpuUsage(cpu0)
    recordWindow({ ops: WRITES, wallMs: performance.now() - t0, cpuUs: cpu.user + cpu.system })
    const rows = await db.query<{ n: number }>('select count(*) as n from w')
    if (rows[0]?.n !== WRITES) throw new Error(`${checkpoint}: ${rows[0]?.n} rows written, expected ${WRITES}`)
    return longest
  } finally {
    await db.close()
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true })
  }
}

// postgres.js runs in a fresh process per window: it degrades over rounds inside one process.
const run = promisify(execFile)
const postgresJsChild = new URL('./db/postgres-js-child.ts', import.meta.url).pathname
async function postgresJsWindow(mode: 'select1' | 'batch20', ms: number): Promise<number> {
  const { stdout } = await run(process.execPath, [postgresJsChild, pgUrl, mode, String(ms)], {
    timeout: 60_000,
  })
  const window = JSON.parse(stdout.trim().split('\n').pop() as string) as {
    ops: number
    wallMs: number
    cpuUs: number
  }
  recordWindow(window)
  return (window.ops / window.wallMs) * 1000
}

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
    'PostgreSQL 20 statements': 'Promise.all of 20 db.query, pipeline: false',
    'PostgreSQL point read, 50 concurrent': 'pg.Pool point read',
    'PostgreSQL select 1, single caller': 'pg.Pool select 1, one caller',
    'SQLite point read, 100k rows': 'node:sqlite prepared get',
    'SQLite 4000 writes, longest one': "checkpoint: 'inline' (SQLite's autocheckpoint)",
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
    for (const pragma of OUR_PRAGMAS) rawSqlite.exec(`pragma ${pragma}`)
    rawGet = rawSqlite.prepare(pointSql)
    lite = createDatabase({ name: 'bench-sqlite', driver: sqlite({ filename: file }) })
    for (let i = 0; i < HOT; i++) await lite.query(pointSql, [idOf(i)], { cache: true })
    pgDb = createDatabase({
      name: 'bench-pg',
      driver: postgres({ connectionString: pgUrl }),
      pool: { max: 10, min: 10 },
    })
    pgDbSeparate = createDatabase({
      name: 'bench-pg-separate',
      driver: postgres({ connectionString: pgUrl, pipeline: false }),
      pool: { max: 10, min: 10 },
    })
    pgPool = new pg.Pool({ connectionString: pgUrl, max: 10 })
    await Promise.all(
      Array.from({ length: 20 }, () => Promise.all([pgDb.query('select 1'), pgPool.query('select 1')])),
    )
    await pgPool.query(`drop table if exists ${PG_TABLE}`)
    await pgPool.query(
      `create table ${PG_TABLE} (id int primary key, name text not null, price int not null)`,
    )
    await pgPool.query(
      `insert into ${PG_TABLE} select g, 'item-' || g, g % 997 from generate_series(1, ${PG_ROWS}) g`,
    )
  },
  async teardown() {
    await pgPool.query(`drop table if exists ${PG_TABLE}`)
    await Promise.all([
      ours1.close(),
      ours10.close(),
      lite.close(),
      pgDb.close(),
      pgDbSeparate.close(),
      pgPool.end(),
    ])
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
      config: 'pool max 10 (min 10)',
      measure: () => concurrentOpsPerSecond(() => pgDb.query('select 1 as n'), 50, 700, 64),
      check: async () => expectSame(await pgDb.query('select 1 as n'), [{ n: 1 }], 'db.query select 1'),
    },
    {
      group: 'PostgreSQL select 1, 50 concurrent',
      name: 'pg.Pool max 10',
      config: 'pg.Pool({ max: 10 }), pool.query',
      measure: () => concurrentOpsPerSecond(() => pgPool.query('select 1 as n'), 50, 700, 64),
      check: async () =>
        expectSame((await pgPool.query('select 1 as n')).rows, [{ n: 1 }], 'pg.Pool select 1'),
    },
    {
      group: 'PostgreSQL select 1, 50 concurrent',
      name: 'postgres.js max 10',
      config: 'postgres({ max: 10 }), fresh process per window (CPU of that process)',
      measure: () => postgresJsWindow('select1', 700),
    },
    {
      group: 'PostgreSQL point read, 50 concurrent',
      name: 'db.query point read (PostgreSQL)',
      config: 'pool max 10, auto-pipelining (default maxDepth 16)',
      measure: () => concurrentOpsPerSecond((i) => pgDb.query(pgPointSql, [pgIdOf(i)]), 50, 700, 64),
      check: async () =>
        expectSame(await pgDb.query(pgPointSql, [pgIdOf(9)]), [pgRow(pgIdOf(9))], 'db.query point read'),
    },
    {
      group: 'PostgreSQL point read, 50 concurrent',
      name: 'pg.Pool point read',
      config: 'pg.Pool({ max: 10 }), pool.query',
      measure: () => concurrentOpsPerSecond((i) => pgPool.query(pgPointSql, [pgIdOf(i)]), 50, 700, 64),
      check: async () =>
        expectSame(
          (await pgPool.query(pgPointSql, [pgIdOf(9)])).rows,
          [pgRow(pgIdOf(9))],
          'pg.Pool point read',
        ),
    },
    {
      group: 'PostgreSQL select 1, single caller',
      name: "db.query('select 1'), one caller",
      config: 'pool max 10',
      measure: () => asyncOpsPerSecond(() => pgDb.query('select 1 as n'), 500),
    },
    {
      group: 'PostgreSQL select 1, single caller',
      name: 'pg.Pool select 1, one caller',
      config: 'pg.Pool({ max: 10 })',
      measure: () => asyncOpsPerSecond(() => pgPool.query('select 1 as n'), 500),
    },
    {
      group: 'PostgreSQL 20 statements',
      name: 'db.batch(20)',
      unit: 'batches/s',
      config: 'one connection, one round trip',
      measure: () => asyncOpsPerSecond(() => pgDb.batch(batch20), 500),
      check: async () => {
        const results = await pgDb.batch(batch20)
        expectSame(
          results.map((r) => r.rows[0]),
          batch20.map(([, [n]]) => ({ n })),
          'db.batch rows',
        )
      },
    },
    {
      group: 'PostgreSQL 20 statements',
      name: 'Promise.all of 20 db.query',
      unit: 'batches/s',
      config: 'pool max 10, auto-pipelining (default)',
      measure: () =>
        asyncOpsPerSecond(() => Promise.all(batch20.map(([sql, params]) => pgDb.query(sql, params))), 500),
    },
    {
      group: 'PostgreSQL 20 statements',
      name: 'Promise.all of 20 db.query, pipeline: false',
      unit: 'batches/s',
      config: 'pool max 10, auto-pipelining off: 20 separate round trips',
      measure: () =>
        asyncOpsPerSecond(
          () => Promise.all(batch20.map(([sql, params]) => pgDbSeparate.query(sql, params))),
          500,
        ),
    },
    {
      group: 'PostgreSQL 20 statements',
      name: 'postgres.js pipelined 20',
      unit: 'batches/s',
      config:
        'postgres({ max: 1 }), Promise.all of 20 (pipelined on one connection), fresh process per window',
      measure: () => postgresJsWindow('batch20', 500),
    },
    {
      group: 'PostgreSQL 20 statements',
      name: '20 awaited db.query (context)',
      unit: 'batches/s',
      measure: () =>
        asyncOpsPerSecond(async () => {
          for (const [sql, params] of batch20) await pgDb.query(sql, params)
        }, 500),
    },
    {
      group: 'SQLite point read, 100k rows',
      name: 'node:sqlite prepared get',
      config: 'same pragmas as @hotpath/db (cache_size 32 MB, mmap 256 MB, temp_store memory), WAL',
      measure: () => opsPerSecond((i) => rawGet.get(idOf(i)), 300),
      check: () => expectSame({ ...rawGet.get(idOf(5)) }, expectedRow(idOf(5)), 'node:sqlite get'),
    },
    {
      group: 'SQLite point read, 100k rows',
      name: 'db.query point read',
      config: 'sqlite() defaults',
      measure: () => asyncOpsPerSecond((i) => lite.query(pointSql, [idOf(i)]), 300),
      check: async () =>
        expectSame({ ...(await lite.query(pointSql, [idOf(5)]))[0] }, expectedRow(idOf(5)), 'db.query row'),
    },
    {
      group: 'SQLite point read, 100k rows',
      name: 'db.query cache hit',
      config: 'query cache, 1024 hot ids',
      measure: () =>
        asyncOpsPerSecond((i) => lite.query(pointSql, [idOf(i & (HOT - 1))], { cache: true }), 300),
      check: async () =>
        expectSame(
          { ...(await lite.query(pointSql, [idOf(3)], { cache: true }))[0] },
          expectedRow(idOf(3)),
          'cached row',
        ),
    },
    {
      group: 'SQLite 4000 writes, longest one',
      name: "checkpoint: 'inline' (SQLite's autocheckpoint)",
      unit: 'ms',
      better: 'lower',
      config: 'sqlite({ checkpoint: "inline" }): wal_autocheckpoint 1000, inside the commit; same pragmas otherwise',
      measure: () => longestWriteMs('inline'),
    },
    {
      group: 'SQLite 4000 writes, longest one',
      name: 'sqlite() defaults (background checkpoint)',
      unit: 'ms',
      better: 'lower',
      config: 'a worker thread checkpoints (PASSIVE) 200 ms after writes',
      measure: () => longestWriteMs('background'),
    },
  ],
  targets: [
    { name: '@hotpath/db pool', vs: 'generic-pool', atLeast: 1.5 },
    { name: '@hotpath/db pool', vs: 'tarn', atLeast: 4 },
    { name: '@hotpath/db pool (50)', vs: 'generic-pool (50)', atLeast: 1.5 },
    { name: '@hotpath/db pool (50)', vs: 'tarn (50)', atLeast: 4 },
    { name: "db.query('select 1')", vs: 'pg.Pool max 10', atLeast: 3 },
    { name: 'db.query point read (PostgreSQL)', vs: 'pg.Pool point read', atLeast: 2.5 },
    { name: "db.query('select 1'), one caller", vs: 'pg.Pool select 1, one caller', atLeast: 0.9 },
    // Auto-pipelining makes Promise.all of 20 db.query itself one or two writes: batch() is measured
    // against 20 separate round trips (pipeline: false), what it replaces.
    { name: 'db.batch(20)', vs: 'Promise.all of 20 db.query, pipeline: false', atLeast: 2 },
    { name: 'db.batch(20)', vs: 'postgres.js pipelined 20', atLeast: 1 },
    { name: 'db.query point read', vs: 'node:sqlite prepared get', atLeast: 0.8 },
    { name: 'db.query cache hit', vs: 'db.query point read', atLeast: 3 },
    // No write holds the event loop for a checkpoint: the longest is at most half the inline one.
    {
      name: 'sqlite() defaults (background checkpoint)',
      vs: "checkpoint: 'inline' (SQLite's autocheckpoint)",
      atMost: 0.5,
    },
  ],
})
