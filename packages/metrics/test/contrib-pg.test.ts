// Next to the real @opentelemetry/instrumentation-pg (it patches the `pg` that @hotpath/db loads): on the
// user's MeterProvider, db.client.operation.duration counts every statement once: instrumentation-pg
// times those sent on their own, hotpath the auto-pipelined reads (pg's Client#query sees one pipeline of
// them, a call whose span it never ends and whose duration it never records). hotpath keeps what pg cannot
// see (pool waits) and its report.
import { createRequire } from 'node:module'
import { createDatabase, postgres, sqlite } from '@hotpath/db'
import { freshSchema, requirePostgres } from '@hotpath/test-helpers'
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg'
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import { describe, expect, it, type TestContext } from 'vitest'
import { createMetrics, type Metrics } from '../src/index.ts'

const dbRequire = createRequire(createRequire(import.meta.url).resolve('@hotpath/db'))
let pgInstrumentation: PgInstrumentation | undefined

interface Setup {
  metrics: Metrics
  schemaUrl: string
  /** db.client.operation.duration by scope, as [scope, db.operation.name, count] per data point. */
  operations(): Promise<Array<[string, unknown, number]>>
  /** The scopes exporting a metric name. */
  scopesOf(name: string): Promise<string[]>
  [Symbol.asyncDispose](): Promise<void>
}

/** instrumentation-pg and hotpath on one MeterProvider (one reader carrying hotpath's producer). */
async function withPgInstrumentation(): Promise<Setup> {
  // one per file: it hooks require('pg') once, and enable() patches the pg it saw again
  if (pgInstrumentation === undefined) pgInstrumentation = new PgInstrumentation()
  else pgInstrumentation.enable()
  const instrumentation = pgInstrumentation
  const pg = dbRequire('pg') as { Client: { prototype: { query: { __wrapped?: boolean } } } }
  expect(pg.Client.prototype.query.__wrapped).toBe(true)
  const schema = await freshSchema()
  let provider: MeterProvider | undefined
  const metrics = createMetrics({ meterProvider: () => provider as MeterProvider, runtime: false })
  const reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMillis: 3_600_000,
    metricProducers: [metrics.producer],
  })
  provider = new MeterProvider({ readers: [reader] })
  instrumentation.setMeterProvider(provider)
  metrics.instrument()
  const named = async (name: string) => {
    const { resourceMetrics } = await reader.collect()
    return resourceMetrics.scopeMetrics.flatMap((s) =>
      s.metrics.filter((m) => m.descriptor.name === name).map((m) => ({ scope: s.scope.name, m })),
    )
  }
  return {
    metrics,
    schemaUrl: schema.url,
    operations: async () =>
      (await named('db.client.operation.duration')).flatMap(({ scope, m }) =>
        m.dataPointType === DataPointType.HISTOGRAM
          ? m.dataPoints.map((p): [string, unknown, number] => [
              scope,
              p.attributes['db.operation.name'],
              p.value.count,
            ])
          : [],
      ),
    scopesOf: async (name) => [...new Set((await named(name)).map((o) => o.scope))],
    async [Symbol.asyncDispose]() {
      instrumentation.disable()
      await metrics.close()
      await provider?.shutdown()
      await schema.drop()
    },
  }
}

async function postgresUp(ctx: TestContext): Promise<boolean> {
  if (await requirePostgres()) return true
  ctx.skip()
  return false
}

describe('next to @opentelemetry/instrumentation-pg', () => {
  it("'auto': statements sent on their own are instrumentation-pg's; pool waits and the report stay hotpath's", async (ctx) => {
    if (!(await postgresUp(ctx))) return
    await using setup = await withPgInstrumentation()
    await using db = createDatabase({
      name: 'orders',
      driver: postgres({ connectionString: setup.schemaUrl }),
    })
    await db.execute('CREATE TABLE t (id int primary key)')
    for (let i = 0; i < 5; i++) await db.execute('INSERT INTO t VALUES ($1)', [i])
    // every statement ran once through pg's Client#query: counted once, by operation, by the instrumentation
    expect(await setup.operations()).toEqual([
      ['@opentelemetry/instrumentation-pg', 'CREATE', 1],
      ['@opentelemetry/instrumentation-pg', 'INSERT', 5],
    ])
    expect(await setup.scopesOf('db.client.connection.wait_time')).toEqual(['@hotpath/metrics'])
    const report = await setup.metrics.report()
    expect(report.queries.top.find((q) => q.fingerprint.startsWith('insert'))?.count).toBe(5)
  })

  it("'auto': N pipelined reads + M statements on their own count N + M operations, none twice", async (ctx) => {
    if (!(await postgresUp(ctx))) return
    await using setup = await withPgInstrumentation()
    await using db = createDatabase({
      name: 'orders',
      driver: postgres({ connectionString: setup.schemaUrl }),
    })
    await using local = createDatabase({ name: 'local', driver: sqlite({ filename: ':memory:' }) })
    // M = 8 sent on their own: the DDL, 4 writes, and a transaction (BEGIN, a read on its connection, COMMIT)
    await db.execute('CREATE TABLE t (id int primary key)')
    for (let i = 0; i < 4; i++) await db.execute('INSERT INTO t VALUES ($1)', [i])
    await db.transaction((tx) => tx.query('SELECT count(*) AS n FROM t WHERE id < $1', [9]))
    // N = 10 auto-pipelined reads: one awaited on its own, one without parameters, then 8 at once
    await db.query('SELECT id FROM t WHERE id = $1', [0])
    await db.query('SELECT count(*) AS n FROM t')
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => db.query('SELECT id FROM t WHERE id = $1', [i % 4])),
    )
    // not seen by instrumentation-pg either: a batch (one pg Client#query call, as a pipeline) and SQLite
    await db.batch([
      ['UPDATE t SET id = id WHERE id = $1', [1]],
      ['UPDATE t SET id = id WHERE id = $1', [2]],
    ])
    await local.execute('CREATE TABLE s (id integer primary key)')
    await local.query('SELECT id FROM s')
    const ops = await setup.operations()
    expect(ops.reduce((n, [, , count]) => n + count, 0)).toBe(10 + 8 + 2 + 2)
    const byScope = (scope: string) => {
      const out: Record<string, number> = {}
      for (const [s, op, count] of ops) if (s === scope) out[String(op)] = (out[String(op)] ?? 0) + count
      return out
    }
    expect(byScope('@opentelemetry/instrumentation-pg')).toEqual({
      CREATE: 1,
      INSERT: 4,
      BEGIN: 1,
      SELECT: 1,
      COMMIT: 1,
    })
    expect(byScope('@hotpath/metrics')).toEqual({ SELECT: 11, UPDATE: 2, CREATE: 1 })
    // the report still sees every statement
    const report = await setup.metrics.report()
    expect(report.queries.top.find((q) => q.fingerprint === 'select id from t where id = ?')?.count).toBe(9)
  })

  it("'auto': a read with a signal sent alone is instrumentation-pg's only; every statement counts once", async (ctx) => {
    if (!(await postgresUp(ctx))) return
    await using setup = await withPgInstrumentation()
    await using db = createDatabase({
      name: 'orders',
      driver: postgres({ connectionString: setup.schemaUrl }),
    })
    // sent alone (3): the DDL and 2 writes
    await db.execute('CREATE TABLE t (id int primary key)')
    for (let i = 0; i < 2; i++) await db.execute('INSERT INTO t VALUES ($1)', [i])
    // 1 read with a signal, alone in the queue: sent on its own (so that an abort can cancel it on the
    // server), so instrumentation-pg times it
    await db.query('SELECT id FROM t WHERE id = $1', [1], { signal: new AbortController().signal })
    // N = 6 pipelined reads, one of them with a signal (sent in the pipeline with the others)
    await Promise.all([
      ...Array.from({ length: 5 }, (_, i) => db.query('SELECT id FROM t WHERE id = $1', [i % 2])),
      db.query('SELECT id FROM t WHERE id = $1', [0], { signal: new AbortController().signal }),
    ])
    const ops = await setup.operations()
    const count = (scope: string) => ops.filter(([s]) => s === scope).reduce((n, [, , c]) => n + c, 0)
    expect(count('@opentelemetry/instrumentation-pg')).toBe(3 + 1)
    expect(count('@hotpath/metrics')).toBe(6)
    expect(ops.reduce((n, [, , c]) => n + c, 0)).toBe(3 + 1 + 6)
  })

  it("'auto': pipelined reads retried on a fresh connection count once (instrumentation-pg's retry)", async (ctx) => {
    if (!(await postgresUp(ctx))) return
    await using setup = await withPgInstrumentation()
    await using db = createDatabase({
      name: 'orders',
      driver: postgres({ connectionString: setup.schemaUrl }),
      pool: { max: 1 },
      // the slow reads' EXPLAIN is a statement of its own, pg's
      explainSlowQueries: false,
    })
    await using admin = createDatabase({
      name: 'admin',
      driver: postgres({ connectionString: setup.schemaUrl }),
    })
    const [row] = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
    const hold = db.query('SELECT pg_sleep(0.05)')
    // one pipeline of 4 reads (0.95 s in all) on the connection that is terminated under it
    const reads = [0.5, 1, 2, 6].map((n) =>
      db.query('SELECT $1::float8 AS n, pg_sleep($1::float8 / 10)', [n]),
    )
    await hold
    await admin.query('SELECT pg_terminate_backend($1::int)', [row!.pid])
    expect((await Promise.all(reads)).map((r) => r[0]!.n)).toEqual([0.5, 1, 2, 6])
    expect(db.stats().pool.destroyed).toBeGreaterThanOrEqual(1)
    const ops = await setup.operations()
    const count = (scope: string) => ops.filter(([s]) => s === scope).reduce((n, [, , c]) => n + c, 0)
    // the reads answered in the pipeline before the kill are hotpath's, the ones retried alone pg's
    expect(count('@opentelemetry/instrumentation-pg')).toBeGreaterThanOrEqual(1)
    // 3 pipelined reads (the pid, the hold, the terminate) + each of the 4 once
    expect(count('@hotpath/metrics') + count('@opentelemetry/instrumentation-pg')).toBe(3 + 4)
  })
})
