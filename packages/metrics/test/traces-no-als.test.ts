// Without an AsyncLocalStorage context manager (here: none registered, the API's no-op one), spans are still
// made from the tracing channels, as children of the caller's context; they cannot be the parents of work
// inside the operation, and nothing fails.
import { createCache } from '@hotpath/cache'
import { createDatabase } from '@hotpath/db'
import { SpanKind } from '@opentelemetry/api'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import { describe, expect, it } from 'vitest'
import { createMetrics } from '../src/index.ts'
import { contextStorage } from '../src/trace-context.ts'

describe('tracing without an AsyncLocalStorage context manager', () => {
  it('makes the spans, parent-only: a query in a factory is not the factory span child', async () => {
    expect(contextStorage()).toBeUndefined()
    const exporter = new InMemorySpanExporter()
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] })
    await using metrics = createMetrics({ runtime: false, tracerProvider: provider })
    metrics.instrument()
    await using db = createDatabase({ name: 'mem' })
    await using cache = createCache({ namespace: 'orders' })
    await db.execute('CREATE TABLE orders (id INTEGER PRIMARY KEY)')
    exporter.reset()
    await cache.getOrSet('o:1', () => db.query('SELECT id FROM orders WHERE id = ?', [1]))
    const spans = exporter.getFinishedSpans()
    expect(spans.map((s) => [s.name, s.kind]).sort()).toEqual(
      [
        ['SELECT orders', SpanKind.CLIENT],
        ['cache factory orders', SpanKind.INTERNAL],
      ].sort(),
    )
    for (const s of spans) expect(s.parentSpanContext).toBeUndefined()
    await provider.shutdown()
  })
})
