// Where the instruments live: our own MeterProvider (Prometheus reader, optional OTLP reader), or the
// user's MeterProvider (`meterProvider` option), to which we add nothing but instruments on one Meter.
import { randomUUID } from 'node:crypto'
import {
  type Meter,
  type MeterProvider as ApiMeterProvider,
  metrics as otelMetrics,
} from '@opentelemetry/api'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  MeterProvider,
  type MetricProducer,
  MetricReader,
  PeriodicExportingMetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics'
import { check } from './errors.ts'
import type { ResolvedOptions } from './options.ts'
import { LazyOtlpExporter } from './otlp.ts'
import { SCOPE } from './scope.ts'

export interface Backend {
  readonly meterProvider: ApiMeterProvider
  readonly meter: Meter
  /** True when the provider is the user's: its readers, resource and shutdown are not ours. */
  readonly external: boolean
  /** What our own `text()` / cluster snapshot serialise. */
  collect(): Promise<ResourceMetrics>
  shutdown(timeout: number): Promise<void>
}

/** The reader /metrics collects through (cumulative); serialising is ours (exposition.ts). */
class PullReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** Our own SDK: readers are given at construction (sdk-metrics 3.x cannot add one later). */
export function ownBackend(options: ResolvedOptions, producer: MetricProducer): Backend {
  const prometheus = new PullReader({ metricProducers: [producer] })
  const readers: MetricReader[] = [prometheus]
  if (options.otlp !== undefined) {
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new LazyOtlpExporter(options.otlp),
        exportIntervalMillis: options.otlp.interval,
        exportTimeoutMillis: options.otlp.timeout,
        metricProducers: [producer],
      }),
    )
  }
  const meterProvider = new MeterProvider({
    resource: resourceFromAttributes({
      ...options.resourceAttributes,
      'service.name': options.serviceName,
      'service.instance.id': options.serviceInstanceId ?? randomUUID(),
    }),
    readers,
  })
  return {
    meterProvider,
    meter: meterProvider.getMeter(SCOPE.name, SCOPE.version),
    external: false,
    collect: async () => (await prometheus.collect()).resourceMetrics,
    shutdown: (timeout) => meterProvider.shutdown({ timeoutMillis: timeout }),
  }
}

/**
 * The user's provider (or the global one): observable instruments go on its Meter; the pre-aggregated
 * series reach its exporters only through `metrics.producer` in a reader's `metricProducers`. Our `text()`
 * then serialises those series alone (the observed ones are in the user's readers).
 */
export function userBackend(provider: ApiMeterProvider | 'global', producer: MetricProducer): Backend {
  const meterProvider = provider === 'global' ? otelMetrics.getMeterProvider() : provider
  if (typeof meterProvider?.getMeter !== 'function') {
    check.fail('meterProvider', meterProvider, 'a function returning an OpenTelemetry MeterProvider')
  }
  return {
    meterProvider,
    meter: meterProvider.getMeter(SCOPE.name, SCOPE.version),
    external: true,
    collect: async () => (await producer.collect()).resourceMetrics,
    shutdown: async () => {
      // the provider is the user's: they flush and shut it down
    },
  }
}
