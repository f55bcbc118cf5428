// Exemplars on the latency histograms, in the OpenMetrics exposition negotiated on Accept; a real Prometheus
// (Debian `prometheus`, --enable-feature=exemplar-storage) scrapes them and returns them by trace id.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { type AddressInfo, createServer as createNetServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eventually, isCI } from '@hotpath/test-helpers'
import { context, SpanKind } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMetrics } from '../src/index.ts'
import { prefersOpenMetrics } from '../src/openmetrics.ts'
import { cacheGet, dbQuery } from './helpers.ts'

const exporter = new InMemorySpanExporter()
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] })
const tracer = provider.getTracer('app')
beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
})
afterAll(async () => {
  context.disable()
  await provider.shutdown()
})

const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.25'

describe('exemplars', () => {
  it('OpenMetrics exposition: bucket exemplars with the active trace (the span made of the event for a query)', async () => {
    await using metrics = createMetrics({ runtime: false, tracerProvider: provider })
    metrics.instrument()
    const ids = tracer.startActiveSpan('GET /orders/:id', { kind: SpanKind.SERVER }, (span) => {
      metrics.recordServerRequest({ method: 'GET', route: '/orders/:id', statusCode: 200, durationMs: 7 })
      dbQuery(3)
      cacheGet('users', 'hit', 'l1')
      span.end()
      return span.spanContext()
    })
    await new Promise((r) => setImmediate(r)) // the query's span ends when its traced run settles
    const dbSpan = exporter
      .getFinishedSpans()
      .find((s) => s.instrumentationScope.name === '@hotpath/metrics' && s.name === 'SELECT orders')
    expect(dbSpan).toBeDefined()
    const om = await metrics.text({ openMetrics: true })
    const exemplarLines = om.split('\n').filter((l) => l.includes(' # {'))
    const server = exemplarLines.filter((l) => l.startsWith('http_server_request_duration_seconds_bucket'))
    expect(server).toHaveLength(1)
    expect(server[0]).toContain('le="0.01"')
    expect(server[0]).toMatch(
      new RegExp(`# \\{trace_id="${ids.traceId}",span_id="${ids.spanId}"\\} 0\\.007 \\d+\\.\\d{3}$`),
    )
    const db = exemplarLines.filter((l) => l.startsWith('db_client_operation_duration_seconds_bucket'))
    expect(db).toHaveLength(1)
    expect(db[0]).toContain(`span_id="${dbSpan?.spanContext().spanId}"`)
    expect(db[0]).toContain(`trace_id="${ids.traceId}"`)
    // the formats' differences: counter families without _total, no UNIT lines, # EOF
    expect(om).toContain('# TYPE hotpath_cache_operations counter\n')
    expect(om).toContain('\nhotpath_cache_operations_total{')
    expect(om).not.toMatch(/^# UNIT /m)
    expect(om.endsWith('# EOF\n')).toBe(true)
    // the 0.0.4 text has none
    expect(await metrics.text()).not.toContain(' # {')
  })

  it('no exemplar without a sampled span, and none when exemplars: false', async () => {
    await using metrics = createMetrics({ runtime: false, exemplars: true })
    metrics.recordServerRequest({ method: 'GET', route: '/a', statusCode: 200, durationMs: 7 })
    expect(await metrics.text({ openMetrics: true })).not.toContain(' # {')
    await using off = createMetrics({ runtime: false, tracerProvider: provider, exemplars: false })
    tracer.startActiveSpan('x', (span) => {
      off.recordServerRequest({ method: 'GET', route: '/a', statusCode: 200, durationMs: 7 })
      span.end()
    })
    expect(await off.text({ openMetrics: true })).not.toContain(' # {')
  })

  it('negotiates OpenMetrics on Accept as Prometheus sends it', async () => {
    expect(prefersOpenMetrics(PROMETHEUS_ACCEPT)).toBe(true)
    expect(prefersOpenMetrics('text/plain;version=0.0.4')).toBe(false)
    expect(prefersOpenMetrics(undefined)).toBe(false)
    expect(prefersOpenMetrics('text/plain;q=1,application/openmetrics-text;q=0.5')).toBe(false)
    await using metrics = createMetrics({ runtime: false })
    const server = createServer((req, res) => metrics.handler(req, res))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`
      const om = await fetch(url, { headers: { accept: PROMETHEUS_ACCEPT } })
      expect(om.headers.get('content-type')).toBe(
        'application/openmetrics-text; version=1.0.0; charset=utf-8',
      )
      expect((await om.text()).endsWith('# EOF\n')).toBe(true)
      const plain = await fetch(url)
      expect(plain.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
      await plain.text()
    } finally {
      await new Promise((r) => server.close(r))
    }
  })
})

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo
      s.close(() => resolve(port))
    })
  })
}

function hasPrometheus(): Promise<boolean> {
  return new Promise((resolve) => execFile('prometheus', ['--version'], (error) => resolve(error === null)))
}

describe('exemplars in a real Prometheus', () => {
  it('scrapes the OpenMetrics exposition and returns the exemplar by its trace id', async (ctx) => {
    if (!(await hasPrometheus())) {
      if (isCI()) throw new Error('prometheus is required under CI (Debian package `prometheus`)')
      return ctx.skip()
    }
    const dir = await mkdtemp(join(tmpdir(), 'hp-exemplars-'))
    await using metrics = createMetrics({ serviceName: 'orders-api', tracerProvider: provider })
    metrics.instrument()
    let server: Server | undefined
    let prometheus: ChildProcess | undefined
    let traceId = ''
    try {
      server = createServer((req, res) => metrics.handler(req, res))
      await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r))
      const target = `127.0.0.1:${(server.address() as AddressInfo).port}`
      traceId = tracer.startActiveSpan('GET /orders/:id', (span) => {
        metrics.recordServerRequest({ method: 'GET', route: '/orders/:id', statusCode: 200, durationMs: 12 })
        span.end()
        return span.spanContext().traceId
      })
      const port = await freePort()
      const config = join(dir, 'prometheus.yml')
      await writeFile(
        config,
        `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: orders-api\n    static_configs:\n      - targets: ['${target}']\n`,
      )
      prometheus = spawn(
        'prometheus',
        [
          `--config.file=${config}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--enable-feature=exemplar-storage',
        ],
        { stdio: 'ignore' },
      )
      const api = `http://127.0.0.1:${port}/api/v1`
      let found: Array<{ labels: Record<string, string>; value: string }> = []
      await eventually(
        async () => {
          const r = await fetch(
            `${api}/query_exemplars?query=${encodeURIComponent('http_server_request_duration_seconds_bucket')}&start=0&end=${Date.now() / 1000 + 60}`,
          ).catch(() => undefined)
          if (r === undefined || !r.ok) return false
          const body = (await r.json()) as {
            data?: Array<{ exemplars: Array<{ labels: Record<string, string>; value: string }> }>
          }
          found = (body.data ?? []).flatMap((d) => d.exemplars)
          return found.length > 0
        },
        { timeoutMs: 60_000, intervalMs: 500, what: 'the exemplar stored by Prometheus' },
      ).catch(() => {})
      expect(found.map((e) => [e.labels.trace_id, Number(e.value)])).toEqual([[traceId, 0.012]])
      // the whole OpenMetrics scrape parsed: the target is up
      const up = await fetch(`${api}/query?query=up`).then((r) => r.json())
      expect((up as { data: { result: Array<{ value: [number, string] }> } }).data.result[0]?.value[1]).toBe(
        '1',
      )
    } finally {
      const exited =
        prometheus && prometheus.exitCode === null
          ? new Promise((r) => prometheus?.once('exit', r))
          : undefined
      prometheus?.kill('SIGTERM')
      await exited
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
      await rm(dir, { recursive: true, force: true })
    }
  }, 90_000)
})
