// Exemplars: per export bucket of a latency histogram series, the last measurement recorded while a sampled
// span was active (or the span our tracing made of that very event), with its trace and span ids. Exposed
// in the OpenMetrics exposition only (the Prometheus 0.0.4 text format has no exemplars, and neither the
// OpenTelemetry JS SDK 3.x nor its Prometheus exporter implements them).
import { context, type SpanContext, TraceFlags, trace } from '@opentelemetry/api'
import { type Attributes, canonicalKey, type HistogramFamily, type HistogramSeries } from './instruments.ts'
import { prometheusName } from './otel-data.ts'

export interface Exemplar {
  traceId: string
  spanId: string
  value: number
  /** Epoch seconds. */
  timestamp: number
}

interface Entry {
  family: HistogramFamily
  attributes: Attributes
  buckets: Array<Exemplar | undefined>
}

export class Exemplars {
  readonly #bySeries: WeakMap<HistogramSeries, Entry> = new WeakMap()
  /** By exposed name (the Prometheus name before sanitising) and canonical attribute key. */
  readonly #byKey: Map<string, Entry> = new Map()
  /** Span contexts our tracing made, by the event payload they were made from. */
  readonly spans: WeakMap<object, SpanContext> = new WeakMap()

  /** Keeps `value` as the exemplar of its bucket when a sampled span is at hand. */
  sample(family: HistogramFamily, series: HistogramSeries, value: number, message?: object): void {
    const span =
      (message === undefined ? undefined : this.spans.get(message)) ?? trace.getSpanContext(context.active())
    if (span === undefined || (span.traceFlags & TraceFlags.SAMPLED) === 0) return
    let entry = this.#bySeries.get(series)
    if (entry === undefined) {
      entry = { family, attributes: series.attributes, buckets: [] }
      this.#bySeries.set(series, entry)
      this.#byKey.set(
        `${prometheusName(family.name, family.unit)}\u0000${canonicalKey(series.attributes)}`,
        entry,
      )
    }
    const bounds = family.boundaries
    let i = 0
    while (i < bounds.length && value > (bounds[i] as number)) i++
    entry.buckets[i] = { traceId: span.traceId, spanId: span.spanId, value, timestamp: Date.now() / 1000 }
  }

  /** The OpenMetrics exemplar suffix of each bucket of one exposed series, if it has any. */
  bucketsOf(name: string, attributes: object): ((bucket: number) => string) | undefined {
    if (this.#byKey.size === 0) return undefined
    const entry = this.#byKey.get(`${name}\u0000${canonicalKey(attributes as Attributes)}`)
    if (entry === undefined) return undefined
    return (i) => {
      const e = entry.buckets[i]
      return e === undefined
        ? ''
        : ` # {trace_id="${e.traceId}",span_id="${e.spanId}"} ${e.value} ${e.timestamp.toFixed(3)}`
    }
  }
}
