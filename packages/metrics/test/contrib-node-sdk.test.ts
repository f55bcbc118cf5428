// hotpath next to a user's full OpenTelemetry Node SDK (NodeSDK with instrumentation-undici and
// instrumentation-pg, in-memory span exporter, a metric reader carrying hotpath's producer): every series
// name comes once, HTTP client requests are counted once per network call (cache hits are not requests),
// each request carries one traceparent, and no operation gets two spans. A getOrSet factory's span is the
// parent of the pg span of the query it runs (hotpath binds its span into the SDK's context manager).
// instrumentation-pg's span of an auto-pipeline (it never ends it) is never exported and does not stay in
// memory.
import { createRequire } from 'node:module'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createCache } from '@hotpath/cache'
import { createDatabase, postgres } from '@hotpath/db'
import { createHttpClient } from '@hotpath/http'
import { freshSchema, requirePostgres, startHttpServer } from '@hotpath/test-helpers'
import { SpanKind } from '@opentelemetry/api'
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg'
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici'
import { NodeSDK } from '@opentelemetry/sdk-node'
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type Span,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace'
import { describe, expect, it } from 'vitest'
import { createMetrics } from '../src/index.ts'

const dbRequire = createRequire(createRequire(import.meta.url).resolve('@hotpath/db'))

/** Weak references to every span instrumentation-pg starts, and which of them ended. */
class PgSpanTracker implements SpanProcessor {
  readonly started: Array<WeakRef<Span>> = []
  readonly ended: WeakSet<object> = new WeakSet()
  endedCount = 0
  onStart(span: Span): void {
    if (span.instrumentationScope.name === '@opentelemetry/instrumentation-pg')
      this.started.push(new WeakRef(span))
  }
  onEnd(span: ReadableSpan): void {
    if (span.instrumentationScope.name !== '@opentelemetry/instrumentation-pg') return
    this.ended.add(span)
    this.endedCount++
  }
  /** The spans started and never ended that are still in memory. */
  liveUnended(): number {
    return this.started.filter((r) => {
      const span = r.deref()
      return span !== undefined && !this.ended.has(span)
    }).length
  }
  forceFlush(): Promise<void> {
    return Promise.resolve()
  }
  shutdown(): Promise<void> {
    return Promise.resolve()
  }
}

/** A full collection, after the current job (a WeakRef target stays alive until the job that made it ends). */
async function collectGarbage(): Promise<void> {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  for (let i = 0; i < 2; i++) {
    await new Promise(setImmediate)
    gc()
  }
}

describe('next to the OpenTelemetry Node SDK (instrumentation-undici and -pg)', () => {
  it('no duplicated series or spans; 10 calls + 10 cache hits count 10 requests; traceparent once per call', async (ctx) => {
    if (!(await requirePostgres())) return ctx.skip()
    const schema = await freshSchema()
    const received: string[] = []
    const upstream = await startHttpServer((req, res) => {
      received.push(String(req.headers.traceparent))
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=60' })
      res.end('{"ok":true}')
    })
    const spans = new InMemorySpanExporter()
    const pgSpans = new PgSpanTracker()
    const metrics = createMetrics({ runtime: false, meterProvider: 'global', tracerProvider: 'global' })
    const reader = new PeriodicExportingMetricReader({
      exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
      exportIntervalMillis: 3_600_000,
      metricProducers: [metrics.producer],
    })
    const sdk = new NodeSDK({
      serviceName: 'orders-api',
      spanProcessors: [new SimpleSpanProcessor({ exporter: spans }), pgSpans],
      metricReaders: [reader],
      instrumentations: [new UndiciInstrumentation(), new PgInstrumentation()],
    })
    sdk.start()
    const pg = dbRequire('pg') as { Client: { prototype: { query: { __wrapped?: boolean } } } }
    expect(pg.Client.prototype.query.__wrapped).toBe(true)
    metrics.instrument()
    const http = createHttpClient({ name: 'catalog' })
    try {
      await using db = createDatabase({ name: 'orders', driver: postgres({ connectionString: schema.url }) })
      await using cache = createCache({ namespace: 'orders' })
      await db.execute('CREATE TABLE t (id int primary key)')
      for (let round = 0; round < 2; round++)
        for (let i = 0; i < 10; i++) await (await http.request(`${upstream.origin}/items/${i}`)).text()
      // HTTP spans: one CLIENT span per network call (undici's; hotpath leaves it to the instrumentation),
      // its ids in the traceparent the server got, and an INTERNAL one per cache hit
      const http1 = spans.getFinishedSpans()
      const network = http1.filter(
        (s) => s.kind === SpanKind.CLIENT && s.attributes['http.request.method'] !== undefined,
      )
      expect(network.map((s) => s.instrumentationScope.name)).toEqual(
        Array(10).fill('@opentelemetry/instrumentation-undici'),
      )
      expect(received).toEqual(
        network.map((s) => `00-${s.spanContext().traceId}-${s.spanContext().spanId}-01`),
      )
      const hits = http1.filter((s) => s.instrumentationScope.name === '@hotpath/metrics')
      expect(hits.map((s) => [s.name, s.kind])).toEqual(Array(10).fill(['GET cache hit', SpanKind.INTERNAL]))
      spans.reset()
      await cache.getOrSet('t:1', async () => {
        await db.execute('INSERT INTO t VALUES ($1)', [1])
        return db.query('SELECT id FROM t WHERE id = $1', [1])
      })

      // metrics: each name from one scope only, but db.client.operation.duration: instrumentation-pg times
      // the statements sent on their own (CREATE, INSERT), hotpath the pipelined read it cannot time (SELECT)
      const { resourceMetrics, errors } = await reader.collect()
      expect(errors).toEqual([])
      const names = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name))
      expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual(['db.client.operation.duration'])
      const operations = resourceMetrics.scopeMetrics.flatMap((s) =>
        s.metrics.flatMap((m) =>
          m.descriptor.name === 'db.client.operation.duration' && m.dataPointType === DataPointType.HISTOGRAM
            ? m.dataPoints.map((p) => [s.scope.name, p.attributes['db.operation.name'], p.value.count])
            : [],
        ),
      )
      expect(operations).toEqual([
        ['@opentelemetry/instrumentation-pg', 'CREATE', 1],
        ['@opentelemetry/instrumentation-pg', 'INSERT', 1],
        ['@hotpath/metrics', 'SELECT', 1],
      ])
      const client = resourceMetrics.scopeMetrics.flatMap((s) =>
        s.metrics
          .filter((m) => m.descriptor.name === 'http.client.request.duration')
          .map((m) => ({ scope: s.scope.name, m })),
      )
      expect(client.map((c) => c.scope)).toEqual(['@opentelemetry/instrumentation-undici'])
      const count = client.flatMap((c) =>
        c.m.dataPointType === DataPointType.HISTOGRAM ? c.m.dataPoints.map((p) => p.value.count) : [],
      )
      expect(count.reduce((a, b) => a + b, 0)).toBe(10)
      // the cache hits are hotpath's own series
      const served = resourceMetrics.scopeMetrics.flatMap((s) =>
        s.metrics.filter((m) => m.descriptor.name === 'hotpath.http.client.cache.duration'),
      )
      const hitCount = served.flatMap((m) =>
        m.dataPointType === DataPointType.HISTOGRAM ? m.dataPoints.map((p) => p.value.count) : [],
      )
      expect(hitCount.reduce((a, b) => a + b, 0)).toBe(10)

      // spans of the factory run: one CLIENT span per statement, both children of the factory span. The
      // INSERT is sent on its own: instrumentation-pg's span. The SELECT is pipelined (sent with others in
      // one pg Client#query call that instrumentation-pg cannot read as a statement): hotpath's, by operation.
      const finished = spans.getFinishedSpans()
      const factory = finished.find((s) => s.name === 'cache factory orders')
      expect(factory).toBeDefined()
      const statements = finished.filter((s: ReadableSpan) => s.kind === SpanKind.CLIENT)
      expect(statements.map((s) => [s.instrumentationScope.name, s.name])).toEqual([
        ['@opentelemetry/instrumentation-pg', expect.stringMatching(/^pg\.query/)],
        ['@hotpath/metrics', 'SELECT t'],
      ])
      for (const s of statements) expect(s.parentSpanContext?.spanId).toBe(factory?.spanContext().spanId)

      // pipelined reads: instrumentation-pg starts a span per pipeline (one pg Client#query call) and never
      // ends it: nothing of it is exported, and nothing keeps it in memory (it goes with the finished call)
      spans.reset()
      const dangling = () => pgSpans.started.length - pgSpans.endedCount
      const danglingBefore = dangling()
      for (let round = 0; round < 20; round++)
        await Promise.all(Array.from({ length: 5 }, () => db.query('SELECT id FROM t WHERE id = $1', [1])))
      expect(dangling()).toBeGreaterThan(danglingBefore + 10) // about one per round (a pipeline), never ended
      // (a connection the pool opens meanwhile has its pg.connect span: not a statement's)
      const reads = spans.getFinishedSpans().filter((s) => !s.name.startsWith('pg.connect'))
      expect(reads.map((s) => [s.instrumentationScope.name, s.name])).toEqual(
        Array(100).fill(['@hotpath/metrics', 'SELECT t']),
      )
      await collectGarbage()
      expect(pgSpans.liveUnended()).toBe(0)
    } finally {
      await http.close()
      await upstream.close()
      await metrics.close()
      await sdk.shutdown()
      await schema.drop()
    }
  })
})
