// Next to the real @opentelemetry/instrumentation-http (it wraps http.Server.prototype.emit): on the user's
// MeterProvider, http.server.request.duration comes once, from the instrumentation.
import { createRequire } from 'node:module'
import { createServer, Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http'
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import { describe, expect, it } from 'vitest'
import { createMetrics } from '../src/index.ts'

describe('next to @opentelemetry/instrumentation-http', () => {
  it("'auto': http.server.request.duration once, from instrumentation-http, one per request", async () => {
    const instrumentation = new HttpInstrumentation() // hooks require('http')
    createRequire(import.meta.url)('http') // patched in place: the prototype every server shares
    expect((Server.prototype.emit as { __wrapped?: boolean }).__wrapped).toBe(true)
    let provider: MeterProvider | undefined
    const metrics = createMetrics({ meterProvider: () => provider as MeterProvider, runtime: false })
    const reader = new PeriodicExportingMetricReader({
      exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
      exportIntervalMillis: 3_600_000,
      metricProducers: [metrics.producer],
    })
    provider = new MeterProvider({ readers: [reader] })
    instrumentation.setMeterProvider(provider)
    // a server recording as the Fastify plugin does
    const server = createServer((_req, res) => {
      const started = performance.now()
      res.end('ok')
      metrics.recordServerRequest({
        method: 'GET',
        route: '/a',
        statusCode: 200,
        durationMs: performance.now() - started,
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/a`
      for (let i = 0; i < 3; i++) await (await fetch(url)).text()
      const { resourceMetrics } = await reader.collect()
      const found = resourceMetrics.scopeMetrics.flatMap((s) =>
        s.metrics
          .filter((m) => m.descriptor.name === 'http.server.request.duration')
          .map((m) => ({ scope: s.scope.name, m })),
      )
      expect(found.map((f) => f.scope)).toEqual(['@opentelemetry/instrumentation-http'])
      const count = found.flatMap((f) =>
        f.m.dataPointType === DataPointType.HISTOGRAM ? f.m.dataPoints.map((p) => p.value.count) : [],
      )
      expect(count.reduce((a, b) => a + b, 0)).toBe(3)
      // the report still has the route
      expect((await metrics.report()).routes.map((r) => [r.route, r.count])).toEqual([['/a', 3]])
    } finally {
      await new Promise((r) => server.close(r))
      instrumentation.disable()
      await metrics.close()
      await provider.shutdown()
    }
  })
})
