// Spans from the real packages' events, through the user's TracerProvider (sdk-trace + in-memory exporter),
// as children of the active context.
import { createCache } from '@hotpath/cache'
import { createDatabase, postgres, sqlite } from '@hotpath/db'
import { createHttpClient } from '@hotpath/http'
import { freePort, freshSchema, requirePostgres, startHttpServer } from '@hotpath/test-helpers'
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createMetrics, InvalidOptionError } from '../src/index.ts'

const exporter = new InMemorySpanExporter()
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] })
const contextManager = new AsyncLocalStorageContextManager()

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable())
  // what NodeSDK (or provider.register()) sets up: without a propagator, inject writes nothing
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
})
afterAll(async () => {
  propagation.disable()
  context.disable()
  await provider.shutdown()
})
beforeEach(() => exporter.reset())

const user = provider.getTracer('app')

/** Runs `fn` inside an active parent span; returns the parent's span id. */
async function underParent(fn: () => Promise<void>): Promise<{ traceId: string; spanId: string }> {
  return user.startActiveSpan('GET /orders/:id', { kind: SpanKind.SERVER }, async (span) => {
    try {
      await fn()
    } finally {
      span.end()
    }
    return span.spanContext()
  })
}

function ours(): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((s) => s.instrumentationScope.name === '@hotpath/metrics')
}

describe('tracerProvider', () => {
  it('HTTP: a CLIENT span whose context the server receives as traceparent; the cache hit is INTERNAL and no client request', async () => {
    await using metrics = createMetrics({ runtime: false, tracerProvider: provider })
    metrics.instrument()
    const received: Array<string | undefined> = []
    const upstream = await startHttpServer((req, res) => {
      received.push(req.headers.traceparent as string | undefined)
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=60' })
      res.end('{"ok":true}')
    })
    const http = createHttpClient({ name: 'catalog' })
    let parent: { traceId: string; spanId: string }
    try {
      parent = await underParent(async () => {
        for (let i = 0; i < 2; i++) await (await http.request(`${upstream.origin}/items/7`)).text()
      })
    } finally {
      await http.close()
      await upstream.close()
    }
    const spans = ours()
    expect(spans.map((s) => [s.name, s.kind])).toEqual([
      ['GET', SpanKind.CLIENT],
      ['GET cache hit', SpanKind.INTERNAL],
    ])
    const [client, hit] = spans as [ReadableSpan, ReadableSpan]
    const port = Number(new URL(upstream.origin).port)
    expect(client.attributes).toMatchObject({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'server.port': port,
      'url.full': `${upstream.origin}/items/7`,
      'url.scheme': 'http',
      'http.response.status_code': 200,
      'hotpath.http.cache': 'miss',
    })
    expect(hit.attributes['hotpath.http.cache']).toBe('hit')
    // one network call, carrying the client span's trace context (W3C, sampled)
    const { traceId, spanId } = client.spanContext()
    expect(received).toEqual([`00-${traceId}-${spanId}-01`])
    for (const s of spans) {
      expect(s.spanContext().traceId).toBe(parent.traceId)
      expect(s.parentSpanContext?.spanId).toBe(parent.spanId)
    }
    const ms = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6
    expect(ms(client.endTime) - ms(client.startTime)).toBeGreaterThan(0)
    // the hit is no http.client.request.duration (it has its own cache family)
    const text = await metrics.text()
    const count = text.split('\n').filter((l) => l.startsWith('http_client_request_duration_seconds_count'))
    expect(count).toHaveLength(1)
    expect(count[0]).toMatch(/ 1$/)
  })

  it('HTTP: a refused connection is an ERROR CLIENT span with our error code as error.type', async () => {
    await using metrics = createMetrics({ runtime: false, tracerProvider: provider })
    metrics.instrument()
    const port = await freePort()
    await using http = createHttpClient({ name: 'down', retry: false })
    await expect(http.request(`http://127.0.0.1:${port}/x`)).rejects.toThrow()
    const [span] = ours()
    expect(span?.kind).toBe(SpanKind.CLIENT)
    expect(span?.status.code).toBe(SpanStatusCode.ERROR)
    expect(String(span?.attributes['error.type'])).toMatch(/^HOTPATH_HTTP_/)
    expect(span?.attributes['http.response.status_code']).toBeUndefined()
  })

  it('HTTP: a failed request is an ERROR span with error.type', async () => {
    await using metrics = createMetrics({ runtime: false, tracerProvider: () => provider })
    metrics.instrument()
    const upstream = await startHttpServer((_req, res) => {
      res.writeHead(503)
      res.end()
    })
    const http = createHttpClient({ name: 'flaky', cache: false, retry: false })
    try {
      await (await http.request(`${upstream.origin}/x`)).text()
    } finally {
      await http.close()
      await upstream.close()
    }
    const [span] = ours()
    expect(span?.status.code).toBe(SpanStatusCode.ERROR)
    expect(span?.attributes['error.type']).toBe('503')
  })

  it('SQLite: a CLIENT span named by db.query.summary, the query text without literals, a cache factory span', async () => {
    await using metrics = createMetrics({ runtime: false, tracerProvider: provider })
    metrics.instrument()
    await using db = createDatabase({ name: 'main', driver: sqlite({ filename: ':memory:' }) })
    await using cache = createCache({ namespace: 'orders' })
    await db.execute('CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER)')
    await db.execute('INSERT INTO orders VALUES (1, 42)')
    exporter.reset()
    const parent = await underParent(async () => {
      await cache.getOrSet('order:1', () => db.query('SELECT total FROM orders WHERE id = 1'))
    })
    const spans = ours()
    const query = spans.find((s) => s.kind === SpanKind.CLIENT)
    expect(query?.name).toBe('SELECT orders')
    expect(query?.attributes).toMatchObject({
      'db.system.name': 'sqlite',
      'db.namespace': ':memory:',
      'db.operation.name': 'SELECT',
      'db.query.summary': 'SELECT orders',
      'db.response.returned_rows': 1,
    })
    expect(String(query?.attributes['db.query.text'])).not.toContain('1')
    const factory = spans.find((s) => s.name === 'cache factory orders')
    expect(factory?.kind).toBe(SpanKind.INTERNAL)
    // the factory is the active span's child, and the query it ran is the factory's child
    expect(factory?.parentSpanContext?.spanId).toBe(parent.spanId)
    expect(query?.parentSpanContext?.spanId).toBe(factory?.spanContext().spanId)
    expect(query?.spanContext().traceId).toBe(parent.traceId)
  })

  it('two instances, each with its provider: each tree has its own parent/child spans, also after the other closes', async () => {
    const second = new InMemorySpanExporter()
    const other = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: second })] })
    const a = createMetrics({ runtime: false, tracerProvider: provider }).instrument()
    const b = createMetrics({ runtime: false, tracerProvider: other }).instrument()
    await using db = createDatabase({ name: 'main', driver: sqlite({ filename: ':memory:' }) })
    await using cache = createCache({ namespace: 'orders' })
    await db.execute('CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER)')
    /** The factory span's id and the parent span id of the query run inside it, in one exporter. */
    const tree = (from: InMemorySpanExporter) => {
      const spans = from.getFinishedSpans().filter((s) => s.instrumentationScope.name === '@hotpath/metrics')
      const factory = spans.find((s) => s.name === 'cache factory orders')
      const query = spans.find((s) => s.name === 'SELECT orders')
      return { factory: factory?.spanContext().spanId, queryParent: query?.parentSpanContext?.spanId }
    }
    const run = async (key: string) => {
      exporter.reset()
      second.reset()
      await underParent(async () => {
        await cache.getOrSet(key, () => db.query('SELECT total FROM orders WHERE id = ?', [1]))
      })
    }
    try {
      await run('order:1')
      for (const from of [exporter, second]) {
        const { factory, queryParent } = tree(from)
        expect(factory).toBeDefined()
        expect(queryParent).toBe(factory)
      }
      await a.close()
      await run('order:2')
      expect(tree(exporter)).toEqual({ factory: undefined, queryParent: undefined })
      const { factory, queryParent } = tree(second)
      expect(factory).toBeDefined()
      expect(queryParent).toBe(factory)
    } finally {
      await a.close()
      await b.close()
      await other.shutdown()
    }
  })

  it('SQLite: a db.batch() is one CLIENT span, BATCH <operation> <table>, with its size', async () => {
    await using metrics = createMetrics({ runtime: false, tracerProvider: provider })
    metrics.instrument()
    await using db = createDatabase({ name: 'main', driver: sqlite({ filename: ':memory:' }) })
    await db.execute('CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER)')
    exporter.reset()
    await db.batch([
      ['INSERT INTO orders VALUES (?, ?)', [1, 10]],
      ['INSERT INTO orders VALUES (?, ?)', [2, 20]],
      ['INSERT INTO orders VALUES (?, ?)', [3, 30]],
    ])
    const spans = ours()
    expect(spans.map((s) => [s.name, s.kind])).toEqual([['BATCH INSERT orders', SpanKind.CLIENT]])
    expect(spans[0]?.attributes).toMatchObject({
      'db.operation.name': 'BATCH INSERT',
      'db.collection.name': 'orders',
      'db.operation.batch.size': 3,
      'db.response.returned_rows': 3,
    })
  })

  it('PostgreSQL: server.address/port, the SQLSTATE as error.type and db.response.status_code', async (ctx) => {
    if (!(await requirePostgres())) return ctx.skip()
    const schema = await freshSchema()
    await using metrics = createMetrics({ runtime: false, tracerProvider: provider })
    metrics.instrument()
    try {
      await using db = createDatabase({ name: 'orders', driver: postgres({ connectionString: schema.url }) })
      await db.execute('CREATE TABLE t (id int primary key)')
      await db.execute('INSERT INTO t VALUES ($1)', [1])
      exporter.reset()
      await expect(db.execute('INSERT INTO t VALUES ($1)', [1])).rejects.toThrow()
      const [span] = ours()
      const url = new URL(schema.url)
      expect(span?.name).toBe('INSERT t')
      expect(span?.attributes).toMatchObject({
        'db.system.name': 'postgresql',
        'db.namespace': url.pathname.slice(1),
        'db.operation.name': 'INSERT',
        'db.collection.name': 't',
        'server.address': url.hostname,
        'server.port': Number(url.port || 5432),
        'error.type': '23505',
        'db.response.status_code': '23505',
      })
      expect(span?.status.code).toBe(SpanStatusCode.ERROR)
    } finally {
      await schema.drop()
    }
  })

  it("'global' uses the API's provider; no spans without the option", async () => {
    trace.setGlobalTracerProvider(provider)
    try {
      await using withGlobal = createMetrics({ runtime: false, tracerProvider: 'global' })
      withGlobal.instrument({ db: false, http: false })
      await using cache = createCache({ namespace: 'g' })
      await cache.getOrSet('k', () => 1)
      expect(ours().map((s) => s.name)).toEqual(['cache factory g'])
      await withGlobal.close()
      exporter.reset()
      await using none = createMetrics({ runtime: false })
      none.instrument()
      await cache.getOrSet('k2', () => 2)
      expect(ours()).toEqual([])
    } finally {
      trace.disable()
    }
  })

  it('rejects a tracerProvider without getTracer', () => {
    expect(() => createMetrics({ tracerProvider: {} as never })).toThrow(InvalidOptionError)
  })
})
