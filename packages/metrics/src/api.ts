// The public shape of a metrics instance.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Meter, MeterProvider } from '@opentelemetry/api'
import type { MetricProducer } from '@opentelemetry/sdk-metrics'
import type { Peer } from './cluster.ts'
import type { Attributes } from './instruments.ts'
import type { Observable } from './observe.ts'
import type { InstrumentOptions } from './pipeline.ts'
import type { PerformanceReport } from './report-types.ts'
import type { Thresholds } from './thresholds.ts'

/** A pre-aggregated histogram of your own (`metrics.histogram()`). */
export interface Histogram {
  readonly name: string
  readonly unit: string
  /** Records one value, in the instrument's unit. */
  record(value: number, attributes?: Attributes): void
}

/** A pre-aggregated monotonic counter of your own (`metrics.counter()`). */
export interface Counter {
  readonly name: string
  readonly unit: string
  /** Adds `value` (>= 0; a negative value is ignored). */
  add(value: number, attributes?: Attributes): void
}

/** Former name of `Histogram` (the internal series class is no longer exported). */
export type HistogramFamily = Histogram
/** Former name of `Counter`. */
export type CounterFamily = Counter

export interface InstrumentDefinition {
  description?: string
  unit?: string
}

export interface HistogramDefinition extends InstrumentDefinition {
  /** Explicit bucket boundaries for export, ascending. Default: the HTTP duration advice (seconds). */
  boundaries?: readonly number[]
}

export interface ReportOptions {
  /** Thresholds for this report only (merged over the instance's). */
  thresholds?: Partial<Thresholds>
}

export interface ServerRequest {
  method: string
  /** Route template (`/orders/:id`), never the raw URL. */
  route?: string
  statusCode: number
  durationMs: number
  /** `url.scheme` (Required by the semantic conventions). Default `http`. */
  scheme?: 'http' | 'https'
}

export interface TextOptions {
  /** The OpenMetrics 1.0 exposition (with exemplars) instead of the Prometheus 0.0.4 text. Default false. */
  openMetrics?: boolean
}

export interface Metrics {
  /** Our own SDK MeterProvider, or the one passed as `meterProvider` (the global one for `'global'`). */
  readonly meterProvider: MeterProvider
  /** An OpenTelemetry Meter of this provider, for your own instruments. */
  readonly meter: Meter
  /**
   * The pre-aggregated hotpath series (channels, recordServerRequest, histogram(), counter()) as a
   * MetricProducer: pass it in `metricProducers` of your own reader so they reach your exporter with your
   * resource. Observed `stats()` and runtime gauges live on `meter` and are not part of it.
   */
  readonly producer: MetricProducer
  /** `primary`, `worker`, or `single` without cluster mode. */
  readonly role: 'single' | 'primary' | 'worker'
  /** Subscribes to hotpath:cache:*, hotpath:http:*, hotpath:db:* (all unless one is `false`). Idempotent. */
  instrument(options?: InstrumentOptions): Metrics
  /** Reads `x.stats()` at every collection through observable instruments. Returns the function that stops it. */
  observe(target: Observable): () => void
  /** Prometheus exposition for `GET /metrics` on your own server (OpenMetrics when Accept prefers it). */
  handler(req: IncomingMessage, res: ServerResponse): void
  /** The Prometheus exposition text (merged over workers on a cluster primary); OpenMetrics on request. */
  text(options?: TextOptions): Promise<string>
  /** Records one HTTP server request (`http.server.request.duration`). */
  recordServerRequest(request: ServerRequest): void
  /** Requests recorded through `recordServerRequest()` since start. */
  readonly serverRequests: number
  /** A pre-aggregated histogram exported like the built-in ones. */
  histogram(name: string, definition?: HistogramDefinition): Histogram
  /** A pre-aggregated monotonic counter exported like the built-in ones. */
  counter(name: string, definition?: InstrumentDefinition): Counter
  /** Performance report (merged over workers on a cluster primary). */
  report(options?: ReportOptions): Promise<PerformanceReport>
  /** Adds a child_process.fork child (that runs createMetrics with cluster role `worker`) to the primary's merge. */
  attachWorker(name: string, child: Peer): () => void
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}
