// The pre-aggregated series reach a user's own reader through `metrics.producer` (metricProducers).
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus'
import { MeterProvider } from '@opentelemetry/sdk-metrics'
import { describe, expect, it } from 'vitest'
import { createMetrics } from '../src/index.ts'

describe('metrics.producer', () => {
  it("adds hotpath's series to a reader of the user's own MeterProvider", async () => {
    await using metrics = createMetrics({ runtime: false })
    metrics.recordServerRequest({ method: 'GET', route: '/a', statusCode: 200, durationMs: 4 })
    const reader = new PrometheusExporter({ preventServerStart: true, metricProducers: [metrics.producer] })
    const provider = new MeterProvider({ readers: [reader] })
    try {
      const { resourceMetrics } = await reader.collect()
      const names = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name))
      expect(names).toContain('http.server.request.duration')
    } finally {
      await provider.shutdown()
    }
  })
})
