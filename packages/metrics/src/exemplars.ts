// Exemplars: per export bucket of a latency histogram series, the last measurement recorded while a sampled
// span was active (or the span our tracing made of that very event), with its trace and span ids. Exposed
// in the OpenMetrics exposition only (the Prometheus 0.0.4 text format has no exemplars, and neither the
// OpenTelemetry JS SDK 3.x nor its Prometheus exporter implements them).
import { context, type SpanContext, TraceFlags, trace } from '@opentelemetry/api'
import type { Attributes, HistogramFamily, HistogramSeries } from './instruments.ts'

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
  readonly #entries: Entry[] = []
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
      this.#entries.push(entry)
    }
    const bounds = family.boundaries
    let i = 0
    while (i < bounds.length && value > (bounds[i] as number)) i++
    entry.buckets[i] = { traceId: span.traceId, spanId: span.spanId, value, timestamp: Date.now() / 1000 }
  }

  /** Every series with exemplars: family name, attributes and the exemplar per bucket index. */
  list(): ReadonlyArray<Readonly<Entry>> {
    return this.#entries
  }
}
