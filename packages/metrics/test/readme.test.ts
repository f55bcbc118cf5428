// The README's runnable examples (```ts blocks whose first line is `// example: <name>`), with
// '@hotpath/metrics' pointing at the sources; a real @hotpath/http client calls a server on 127.0.0.1.
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { createHttpClient } from '@hotpath/http'
import { markdownCodeBlocks, startHttpServer } from '@hotpath/test-helpers'
import { metrics as otelMetrics, trace } from '@opentelemetry/api'
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus'
import type { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici'
import type { InMemorySpanExporter } from '@opentelemetry/sdk-trace'
import { afterAll, describe, expect, it } from 'vitest'
import type { Metrics } from '../src/index.ts'

const readme = new URL('../README.md', import.meta.url)
const scratch = new URL('./.readme-examples/', import.meta.url)
const index = new URL('../src/index.ts', import.meta.url).pathname

const examples = new Map<string, string>()
for (const block of markdownCodeBlocks(readme, 'ts')) {
  const m = /^\/\/ example: ([\w-]+)\n/.exec(block)
  if (m) examples.set(m[1] as string, block)
}

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

async function runExample(name: string): Promise<Record<string, unknown>> {
  const code = (examples.get(name) as string)
    .replaceAll("'@hotpath/metrics'", JSON.stringify(index))
    // no fixed port in a test: the exporter's own server stays off, the test collects from the reader
    .replaceAll('port: 9464', 'preventServerStart: true')
  await mkdir(scratch, { recursive: true })
  const file = new URL(`${name}-${process.pid}.ts`, scratch)
  await writeFile(file, code)
  return (await import(file.href)) as Record<string, unknown>
}

describe('README examples', () => {
  it('lists the examples it runs', () => {
    expect([...examples.keys()].sort()).toEqual(['otel-setup'])
  })

  it("otel-setup: hotpath series in the user's reader, http.client.request.duration once (from undici)", async () => {
    const mod = await runExample('otel-setup')
    const metrics = mod.metrics as Metrics
    const reader = mod.reader as PrometheusExporter
    const spans = mod.spans as InMemorySpanExporter
    const undici = mod.undici as UndiciInstrumentation
    const upstream = await startHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=60' })
      res.end('{}')
    })
    const http = createHttpClient({ name: 'catalog' })
    try {
      for (let i = 0; i < 2; i++) await (await http.request(`${upstream.origin}/a`)).text()
      const { resourceMetrics } = await reader.collect()
      const scopesOf = (name: string) =>
        resourceMetrics.scopeMetrics.filter((s) => s.metrics.some((m) => m.descriptor.name === name))
      expect(scopesOf('http.client.request.duration').map((s) => s.scope.name)).toEqual([
        '@opentelemetry/instrumentation-undici',
      ])
      expect(scopesOf('hotpath.http.client.cache.operations').map((s) => s.scope.name)).toEqual([
        '@hotpath/metrics',
      ])
      // spans: undici's CLIENT span for the network call, hotpath's INTERNAL one for the cache hit
      const names = spans.getFinishedSpans().map((s) => `${s.instrumentationScope.name} ${s.name}`)
      expect(names.sort()).toEqual([
        '@hotpath/metrics GET cache hit',
        '@opentelemetry/instrumentation-undici GET',
      ])
    } finally {
      await http.close()
      await upstream.close()
      undici.disable()
      await metrics.close()
      otelMetrics.disable()
      trace.disable()
    }
  })
})
