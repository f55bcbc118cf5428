// createMetrics({ meterProvider }) on a real OpenTelemetry MeterProvider of the user, and no double counting
// next to the contrib instrumentation-undici (real undici requests through the real @hotpath/http client).
import { createHttpClient } from '@hotpath/http'
import { startHttpServer } from '@hotpath/test-helpers'
import { metrics as otelMetrics } from '@opentelemetry/api'
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics'
import { afterEach, describe, expect, it } from 'vitest'
import { createMetrics, InvalidOptionError, type Metrics } from '../src/index.ts'

interface UserSetup {
  provider: MeterProvider
  collect(): Promise<ResourceMetrics>
}

/** The user's own SDK: one reader (in-memory exporter) that also carries hotpath's producer when given. */
function userSdk(producer?: Metrics['producer']): UserSetup {
  const reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMillis: 3_600_000,
    metricProducers: producer === undefined ? [] : [producer],
  })
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'users-service' }),
    readers: [reader],
  })
  return {
    provider,
    collect: async () => {
      const { resourceMetrics, errors } = await reader.collect()
      expect(errors).toEqual([])
      return resourceMetrics
    },
  }
}

function metricsNamed(rm: ResourceMetrics, name: string): Array<{ scope: string; metric: MetricData }> {
  return rm.scopeMetrics.flatMap((s) =>
    s.metrics.filter((m) => m.descriptor.name === name).map((metric) => ({ scope: s.scope.name, metric })),
  )
}

function cpuTime(rm: ResourceMetrics): number {
  const m = metricsNamed(rm, 'process.cpu.time')[0]?.metric
  const user = m?.dataPoints.find((p) => p.attributes['cpu.mode'] === 'user')
  expect(user).toBeDefined()
  return user?.value as number
}

function histogramCount(metric: MetricData): number {
  if (metric.dataPointType !== DataPointType.HISTOGRAM) return 0
  return metric.dataPoints.reduce((n, p) => n + p.value.count, 0)
}

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

describe('createMetrics({ meterProvider })', () => {
  it("puts every instrument on the user's provider: observed stats and runtime on its Meter, the series through the producer", async () => {
    // the producer exists before the reader (sdk-metrics takes metricProducers at construction): the
    // provider is read at first use
    let setup: UserSetup | undefined
    const metrics = createMetrics({
      meterProvider: () => (setup as UserSetup).provider,
      runtime: { sampleInterval: 100 },
    })
    setup = userSdk(metrics.producer)
    cleanups.push(() => setup?.provider.shutdown())
    metrics.observe({ stats: () => ({ kind: 'cache', name: 'users', entries: 7 }) })
    metrics.recordServerRequest({ method: 'GET', route: '/users/:id', statusCode: 200, durationMs: 5 })

    const rm = await setup.collect()
    const cpuBefore = cpuTime(rm)
    expect(rm.resource.attributes['service.name']).toBe('users-service')
    const entries = metricsNamed(rm, 'hotpath.cache.entries')
    expect(entries.map((e) => e.scope)).toEqual(['@hotpath/metrics'])
    expect(entries[0]?.metric.dataPoints.map((p) => p.value)).toEqual([7])
    expect(metricsNamed(rm, 'process.cpu.time')).toHaveLength(1)
    const server = metricsNamed(rm, 'http.server.request.duration')
    expect(server).toHaveLength(1)
    expect(histogramCount(server[0]?.metric as MetricData)).toBe(1)

    // close() leaves the user's provider running and takes our callbacks off it: the CPU time observed
    // before close is the last one, however much CPU is spent after
    await metrics.close()
    const until = process.cpuUsage().user + 20_000
    while (process.cpuUsage().user < until) Math.sqrt(Math.random())
    expect(cpuTime(await setup.collect())).toBe(cpuBefore)
  })

  it("'global' uses the provider registered with @opentelemetry/api", async () => {
    const setup = userSdk()
    otelMetrics.setGlobalMeterProvider(setup.provider)
    cleanups.push(async () => {
      otelMetrics.disable()
      await setup.provider.shutdown()
    })
    await using metrics = createMetrics({ meterProvider: 'global', runtime: false })
    expect(metrics.meterProvider).toBe(setup.provider)
    metrics.observe({ stats: () => ({ kind: 'cache', name: 'g', entries: 3 }) })
    const rm = await setup.collect()
    expect(metricsNamed(rm, 'hotpath.cache.entries')[0]?.metric.dataPoints.map((p) => p.value)).toEqual([3])
  })

  it('text() serialises the pre-aggregated series alone (the observed ones are in your readers)', async () => {
    const setup = userSdk()
    cleanups.push(() => setup.provider.shutdown())
    await using metrics = createMetrics({ meterProvider: setup.provider, runtime: false })
    metrics.observe({ stats: () => ({ kind: 'cache', name: 'users', entries: 7 }) })
    metrics.recordServerRequest({ method: 'GET', route: '/a', statusCode: 200, durationMs: 5 })
    const text = await metrics.text()
    expect(text).toContain('http_server_request_duration_seconds_count')
    expect(text).not.toContain('hotpath_cache_entries')
  })

  it('rejects options of our own SDK next to meterProvider, and a provider without getMeter', () => {
    const provider = new MeterProvider()
    for (const [option, extra] of [
      ['otlp', { otlp: { url: 'http://127.0.0.1:4318/v1/metrics' } }],
      ['serviceName', { serviceName: 'x' }],
      ['resourceAttributes', { resourceAttributes: { a: 1 } }],
    ] as const) {
      expect(() => createMetrics({ meterProvider: provider, ...extra })).toThrow(
        expect.objectContaining({
          code: 'HOTPATH_METRICS_INVALID_OPTION',
          details: expect.objectContaining({ option }),
        }),
      )
    }
    expect(() => createMetrics({ meterProvider: {} as never })).toThrow(InvalidOptionError)
    expect(() => createMetrics({ standardInstruments: { httpClient: 'yes' as never } })).toThrow(
      /invalid option "standardInstruments\.httpClient"/,
    )
    expect(() => createMetrics({ standardInstruments: { grpc: true } as never })).toThrow(
      /invalid option "standardInstruments\.grpc"/,
    )
  })
})

describe('next to @opentelemetry/instrumentation-undici', () => {
  async function run(standardInstruments?: { httpClient: boolean | 'auto' }) {
    let setup: UserSetup | undefined
    const metrics = createMetrics({
      meterProvider: () => (setup as UserSetup).provider,
      runtime: false,
      ...(standardInstruments === undefined ? {} : { standardInstruments }),
    })
    setup = userSdk(metrics.producer)
    const undici = new UndiciInstrumentation() // subscribes to the undici:* channels now
    undici.setMeterProvider(setup.provider)
    cleanups.push(async () => {
      undici.disable()
      await metrics.close()
      await setup?.provider.shutdown()
    })
    metrics.instrument({ db: false, cache: false })
    let calls = 0
    const upstream = await startHttpServer((_req, res) => {
      calls++
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=60' })
      res.end('{"ok":true}')
    })
    const http = createHttpClient({ name: 'catalog' })
    try {
      // one network call, then two answers from the response cache
      for (let i = 0; i < 3; i++) await (await http.request(`${upstream.origin}/catalog`)).text()
    } finally {
      await http.close()
      await upstream.close()
    }
    return { rm: await setup.collect(), calls, metrics }
  }

  it("'auto' (default): http.client.request.duration once, from the contrib instrumentation, counting real calls", async () => {
    const { rm, calls, metrics } = await run()
    expect(calls).toBe(1)
    const client = metricsNamed(rm, 'http.client.request.duration')
    expect(client.map((c) => c.scope)).toEqual(['@opentelemetry/instrumentation-undici'])
    expect(histogramCount(client[0]?.metric as MetricData)).toBe(1)
    // what the contrib instrumentation cannot see stays: the cache outcomes
    const ops = metricsNamed(rm, 'hotpath.http.client.cache.operations')[0]?.metric
    const byOutcome = Object.fromEntries(
      (ops?.dataPoints ?? []).map((p) => [p.attributes['hotpath.http.cache'], p.value]),
    )
    expect(byOutcome).toEqual({ miss: 1, hit: 2 })
    // the report still has the upstream (recorded, only not exported)
    expect((await metrics.report()).upstreams.find((u) => u.client === 'catalog')?.cache).toEqual({
      miss: 1,
      hit: 2,
    })
  })

  it('httpClient: true exports ours as well (double series, by request)', async () => {
    const { rm } = await run({ httpClient: true })
    const client = metricsNamed(rm, 'http.client.request.duration')
    expect(client.map((c) => c.scope).sort()).toEqual([
      '@hotpath/metrics',
      '@opentelemetry/instrumentation-undici',
    ])
    // even then a cache hit is never a client request
    for (const c of client) expect(histogramCount(c.metric)).toBe(1)
  })
})
