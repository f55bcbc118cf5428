// Next to the real @opentelemetry/instrumentation-pg (it patches the `pg` that @hotpath/db loads): on the
// user's MeterProvider, db.client.operation.duration comes once, from the instrumentation; hotpath keeps
// what pg cannot see (pool waits) and its report.
import { createRequire } from 'node:module'
import { createDatabase, postgres } from '@hotpath/db'
import { freshSchema, requirePostgres } from '@hotpath/test-helpers'
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg'
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import { describe, expect, it } from 'vitest'
import { createMetrics } from '../src/index.ts'

const dbRequire = createRequire(createRequire(import.meta.url).resolve('@hotpath/db'))

describe('next to @opentelemetry/instrumentation-pg', () => {
  it("'auto': db.client.operation.duration once, from instrumentation-pg; pool waits and the report stay hotpath's", async (ctx) => {
    if (!(await requirePostgres())) return ctx.skip()
    const pgInstrumentation = new PgInstrumentation() // hooks require('pg')
    const pg = dbRequire('pg') as { Client: { prototype: { query: { __wrapped?: boolean } } } }
    expect(pg.Client.prototype.query.__wrapped).toBe(true)
    const schema = await freshSchema()
    let reader: PeriodicExportingMetricReader | undefined
    let provider: MeterProvider | undefined
    const metrics = createMetrics({ meterProvider: () => provider as MeterProvider, runtime: false })
    reader = new PeriodicExportingMetricReader({
      exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
      exportIntervalMillis: 3_600_000,
      metricProducers: [metrics.producer],
    })
    provider = new MeterProvider({ readers: [reader] })
    pgInstrumentation.setMeterProvider(provider)
    metrics.instrument()
    try {
      await using db = createDatabase({ name: 'orders', driver: postgres({ connectionString: schema.url }) })
      await db.execute('CREATE TABLE t (id int primary key)')
      for (let i = 0; i < 5; i++) await db.execute('INSERT INTO t VALUES ($1)', [i])
      const { resourceMetrics } = await reader.collect()
      const named = (name: string) =>
        resourceMetrics.scopeMetrics.flatMap((s) =>
          s.metrics.filter((m) => m.descriptor.name === name).map((m) => ({ scope: s.scope.name, m })),
        )
      const ops = named('db.client.operation.duration')
      expect(ops.map((o) => o.scope)).toEqual(['@opentelemetry/instrumentation-pg'])
      // every statement ran once through pg's Client#query: counted once, by operation
      const counts = ops.flatMap((o) =>
        o.m.dataPointType === DataPointType.HISTOGRAM
          ? o.m.dataPoints.map((p) => [p.attributes['db.operation.name'], p.value.count])
          : [],
      )
      expect(Object.fromEntries(counts)).toEqual({ CREATE: 1, INSERT: 5 })
      expect(named('db.client.connection.wait_time').map((o) => o.scope)).toEqual(['@hotpath/metrics'])
      const report = await metrics.report()
      expect(report.queries.top.find((q) => q.fingerprint.startsWith('insert'))?.count).toBe(5)
    } finally {
      pgInstrumentation.disable()
      await metrics.close()
      await provider.shutdown()
      await schema.drop()
    }
  })
})
