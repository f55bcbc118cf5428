// Issue 14 defect 7: the OTLP exporter is an optional peer, loaded only when `otlp` is configured.
import { readFile } from 'node:fs/promises'
import { HotpathError } from '@hotpath/core'
import { describe, expect, it } from 'vitest'
import { LazyOtlpExporter } from '../src/otlp.ts'

const options = { url: 'http://127.0.0.1:1/v1/metrics', interval: 1000, timeout: 100, headers: {} }

describe('defect 7: OTLP exporter loaded on demand', () => {
  it('the source never imports the exporter statically', async () => {
    for (const file of ['metrics.ts', 'otlp.ts']) {
      const src = await readFile(new URL(`../src/${file}`, import.meta.url), 'utf8')
      expect(src, file).not.toMatch(/^import[^\n]*'@opentelemetry\/exporter-metrics-otlp-http'/m)
    }
  })

  it('a missing exporter fails each export with HOTPATH_METRICS_OTLP_MISSING (once warned)', async () => {
    const missing = Object.assign(
      new Error("Cannot find package '@opentelemetry/exporter-metrics-otlp-http'"),
      {
        code: 'ERR_MODULE_NOT_FOUND',
      },
    )
    const warnings: unknown[] = []
    const exporter = new LazyOtlpExporter(
      options,
      () => Promise.reject(missing),
      (w) => warnings.push(w),
    )
    const result = await new Promise<{ code: number; error?: Error }>((resolve) =>
      exporter.export({ resource: {} as never, scopeMetrics: [] }, resolve),
    )
    expect(result.code).toBe(1) // ExportResultCode.FAILED
    expect(result.error).toBeInstanceOf(HotpathError)
    expect((result.error as HotpathError).code).toBe('HOTPATH_METRICS_OTLP_MISSING')
    expect(result.error?.message).toMatch(/pnpm add @opentelemetry\/exporter-metrics-otlp-http/)
    expect(warnings).toHaveLength(1)
    await exporter.shutdown()
  })
})
