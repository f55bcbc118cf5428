import { channel } from 'node:diagnostics_channel'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { HotpathError as CoreHotpathError } from '@hotpath/core'
import {
  createMetrics,
  HotpathError,
  InvalidOptionError,
  MetricsClosedError,
  MetricsObserveError,
} from '../src/index.ts'

describe('createMetrics options', () => {
  const bad: Array<[string, unknown]> = [
    ['options', 42],
    ['nope', { nope: 1 }],
    ['serviceName', { serviceName: '' }],
    ['cardinalityLimit', { cardinalityLimit: 0 }],
    ['cardinalityLimit', { cardinalityLimit: 1.5 }],
    ['otlp.url', { otlp: { url: 'ftp://collector' } }],
    ['otlp.url', { otlp: { url: 'not a url' } }],
    ['otlp.interval', { otlp: { url: 'http://127.0.0.1:4318/v1/metrics', interval: 5 } }],
    ['otlp.intervalMs', { otlp: { url: 'http://127.0.0.1:4318/v1/metrics', intervalMs: 60_000 } }],
    ['closeTimeoutMs', { closeTimeoutMs: 1000 }],
    ['cluster.timeoutMs', { cluster: { timeoutMs: 1000 } }],
    ['runtime.resolution', { runtime: { resolution: 0 } }],
    ['runtime', { runtime: 'yes' }],
    ['runtime.sampleInterval', { runtime: { sampleInterval: 1 } }],
    ['runtime.sampleIntervalMs', { runtime: { sampleIntervalMs: 5000 } }],
    ['thresholds.slowQueryMs', { thresholds: { slowQueryMs: 50 } }],
    ['cluster.role', { cluster: { role: 'boss' } }],
    ['thresholds.cacheHitRate', { thresholds: { cacheHitRate: 1.5 } }],
    ['thresholds.bogus', { thresholds: { bogus: 1 } }],
    ['prometheus.prefix', { prometheus: { prefix: 'bad-prefix' } }],
    ['resourceAttributes.x', { resourceAttributes: { x: {} } }],
  ]
  for (const [option, input] of bad) {
    it(`rejects a bad ${option} naming the option, the value and what is allowed`, () => {
      expect(() => createMetrics(input as never)).toThrow(InvalidOptionError)
      expect(() => createMetrics(input as never)).toThrow(
        expect.objectContaining({
          code: 'HOTPATH_METRICS_INVALID_OPTION',
          message: expect.stringMatching(
            new RegExp(`^invalid option "${option.replaceAll('.', '\\.')}": received .* expected `),
          ),
          details: expect.objectContaining({ option }),
        }),
      )
      expect(() => createMetrics(input as never)).toThrow(HotpathError)
      expect(() => createMetrics(input as never)).toThrow(CoreHotpathError)
    })
  }

  it('puts service.name and service.instance.id on the resource (target_info)', async () => {
    await using m = createMetrics({
      serviceName: 'orders-api',
      serviceInstanceId: 'orders-1',
      runtime: false,
    })
    const text = await m.text()
    expect(text).toMatch(/target_info\{[^}]*service_name="orders-api"/)
    expect(text).toMatch(/target_info\{[^}]*service_instance_id="orders-1"/)
  })

  it('defaults service.instance.id to a distinct id per instance', async () => {
    await using a = createMetrics({ runtime: false })
    await using b = createMetrics({ runtime: false })
    const id = (t: string) => /service_instance_id="([^"]+)"/.exec(t)?.[1]
    const [ta, tb] = [await a.text(), await b.text()]
    expect(id(ta)).toBeTruthy()
    expect(id(ta)).not.toBe(id(tb))
  })
})

describe('lifecycle', () => {
  it('close() twice is harmless and both calls resolve', async () => {
    const m = createMetrics({ runtime: { sampleInterval: 20 } })
    m.instrument()
    const [a, b] = [m.close(), m.close()]
    await expect(a).resolves.toBeUndefined()
    await expect(b).resolves.toBeUndefined()
    await expect(m[Symbol.asyncDispose]()).resolves.toBeUndefined()
  })

  it('rejects new work after close with a coded error', async () => {
    const m = createMetrics({ runtime: false })
    await m.close()
    expect(() => m.instrument()).toThrow(MetricsClosedError)
    expect(() => m.observe({ stats: () => ({ kind: 'cache' }) })).toThrow(MetricsClosedError)
    expect(() => m.histogram('x')).toThrow(MetricsClosedError)
    await expect(m.report()).rejects.toMatchObject({ code: 'HOTPATH_METRICS_CLOSED' })
    await expect(m.text()).rejects.toMatchObject({ code: 'HOTPATH_METRICS_CLOSED' })
  })

  it('the handler answers 503 after close instead of hanging', async () => {
    const { startHttpServer } = await import('@hotpath/test-helpers')
    const m = createMetrics({ runtime: false })
    const server = await startHttpServer((req, res) => m.handler(req, res))
    try {
      expect((await fetch(`${server.origin}/metrics`)).status).toBe(200)
      await m.close()
      const res = await fetch(`${server.origin}/metrics`)
      expect(res.status).toBe(503)
    } finally {
      await server.close()
    }
  })

  it('observe() rejects things without stats() { kind }', async () => {
    await using m = createMetrics({ runtime: false })
    expect(() => m.observe({} as never)).toThrow(MetricsObserveError)
    expect(() => m.observe({ stats: () => ({ kind: 'teapot' }) })).toThrow(/HOTPATH|stats\(\)/)
    expect(() =>
      m.observe({
        stats: () => {
          throw new Error('boom')
        },
      }),
    ).toThrow(MetricsObserveError)
  })

  it('validates instrument(), histogram() and counter() arguments', async () => {
    await using m = createMetrics({ runtime: false })
    expect(() => m.instrument({ cache: 'yes' } as never)).toThrow(InvalidOptionError)
    expect(() => m.histogram('9bad')).toThrow(InvalidOptionError)
    expect(() => m.histogram('ok.hist', { boundaries: [1, 0.5] })).toThrow(/boundaries/)
    m.counter('app.things')
    expect(() => m.histogram('app.things')).toThrow(InvalidOptionError)
    await expect(m.report({ thresholds: { slowQuery: -1 } })).rejects.toMatchObject({
      code: 'HOTPATH_METRICS_INVALID_OPTION',
    })
  })
})

describe('instrumentation scope', () => {
  it("the meter's scope version is package.json's version", async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      name: string
      version: string
    }
    await using m = createMetrics({ runtime: false })
    const meter = m.meter as unknown as { _meterSharedState?: { _instrumentationScope?: unknown } }
    expect(meter._meterSharedState?._instrumentationScope).toMatchObject({
      name: pkg.name,
      version: pkg.version,
    })
    m.instrument()
    channel('hotpath:cache:get').publish({ cache: 'c', key: 'k', result: 'hit', tier: 'l1' })
    const text = await m.text()
    const versions = new Set([...text.matchAll(/otel_scope_version="([^"]*)"/g)].map((x) => x[1]))
    expect([...versions]).toEqual([pkg.version])
    expect(text).toContain(`otel_scope_name="${pkg.name}"`)
  })
})
