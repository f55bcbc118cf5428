import { describe, expect, it } from 'vitest'
import {
  createMetrics,
  HotpathError,
  MetricsClosedError,
  MetricsObserveError,
  MetricsOptionError,
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
    ['otlp.intervalMs', { otlp: { url: 'http://127.0.0.1:4318/v1/metrics', intervalMs: 5 } }],
    ['runtime', { runtime: 'yes' }],
    ['runtime.sampleIntervalMs', { runtime: { sampleIntervalMs: 1 } }],
    ['cluster.role', { cluster: { role: 'boss' } }],
    ['thresholds.cacheHitRate', { thresholds: { cacheHitRate: 1.5 } }],
    ['thresholds.bogus', { thresholds: { bogus: 1 } }],
    ['prometheus.prefix', { prometheus: { prefix: 'bad-prefix' } }],
    ['resourceAttributes.x', { resourceAttributes: { x: {} } }],
  ]
  for (const [option, input] of bad) {
    it(`rejects a bad ${option} naming the option, the value and what is allowed`, () => {
      let caught: unknown
      try {
        createMetrics(input as never)
      } catch (error) {
        caught = error
      }
      expect(caught).toBeInstanceOf(MetricsOptionError)
      const e = caught as MetricsOptionError
      expect(e.code).toBe('HOTPATH_METRICS_INVALID_OPTION')
      expect(e.message).toContain(`"${option}"`)
      expect(e.message).toMatch(/received .* expected /)
      expect((e as unknown as Record<symbol, unknown>)[Symbol.for('hotpath.error')]).toBe(true)
      expect(e).toBeInstanceOf(HotpathError)
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
    const m = createMetrics({ runtime: { sampleIntervalMs: 20 } })
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
    expect(() => m.instrument({ cache: 'yes' } as never)).toThrow(MetricsOptionError)
    expect(() => m.histogram('9bad')).toThrow(MetricsOptionError)
    expect(() => m.histogram('ok.hist', { boundaries: [1, 0.5] })).toThrow(/boundaries/)
    m.counter('app.things')
    expect(() => m.histogram('app.things')).toThrow(MetricsOptionError)
    await expect(m.report({ thresholds: { slowQueryMs: -1 } })).rejects.toMatchObject({
      code: 'HOTPATH_METRICS_INVALID_OPTION',
    })
  })
})
