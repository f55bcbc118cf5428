// Accuracy against a local server process with a known, seeded delay distribution, in both models.
import { afterEach, describe, expect, it } from 'vitest'
import { runLoad } from '../src/run.ts'
import { startTarget, type TargetProcess } from './servers.ts'

// Timing tests on a shared machine: a test may retry (up to 2 times) when another process stole the CPU.
let target: TargetProcess | undefined
afterEach(async () => {
  await target?.close()
  target = undefined
})
/** A fresh target per attempt (a retried test must not leak the previous attempt's server process). */
async function restart(config: Parameters<typeof startTarget>[0]): Promise<TargetProcess> {
  await target?.close()
  return startTarget(config)
}

/**
 * p50 of the bare round trip (server without delay) at the same load: on a shared 2-core machine the loopback
 * round trip through two busy event loops alone can cost 0.3-1 ms, which is not an error of the measurement.
 */
async function baselineP50(model: 'open' | 'closed'): Promise<number> {
  const t = await startTarget({ mode: 'none' })
  try {
    const r = await runLoad(
      model === 'open'
        ? { url: t.origin, rate: 200, connections: 20, durationMs: 500 }
        : { url: t.origin, connections: 10, durationMs: 500 },
    )
    return r.latency.p50
  } finally {
    await t.close()
  }
}

const bimodal = (seed: number) =>
  ({ mode: 'bimodal', seed, fastMs: 1, slowMs: 100, slowFraction: 0.01 }) as const

describe('latency accuracy', () => {
  it('constant 10 ms, closed model: p50 within 5%', { retry: 2 }, async () => {
    const rtt = await baselineP50('closed')
    target = await restart({ mode: 'constant', ms: 10 })
    const r = await runLoad({ url: target.origin, connections: 10, durationMs: 2000 })
    expect(r.errors).toEqual({})
    expect(r.requests.completed).toBe((await target.stats()).served)
    expect(r.requests.completed).toBeGreaterThan(1000)
    expect(r.latency.min).toBeGreaterThanOrEqual(9.9)
    expect(r.latency.p50).toBeGreaterThanOrEqual(9.5)
    expect(r.latency.p50 - rtt, `p50 ${r.latency.p50} ms, round trip ${rtt} ms`).toBeLessThanOrEqual(10.5)
  })

  it('constant 10 ms, open model (from intended send time): p50 within 5%', { retry: 2 }, async () => {
    const rtt = await baselineP50('open')
    target = await restart({ mode: 'constant', ms: 10 })
    const r = await runLoad({ url: target.origin, rate: 200, connections: 20, durationMs: 2000 })
    expect(r.errors).toEqual({})
    expect(r.requests.sent).toBe(400)
    expect(r.latency.p50).toBeGreaterThanOrEqual(9.5)
    expect(r.latency.p50 - rtt, `p50 ${r.latency.p50} ms, round trip ${rtt} ms`).toBeLessThanOrEqual(10.5)
  })

  it('bimodal 99% at 1 ms / 1% at 100 ms, closed model: p50 near 1 ms, p99.9 near 100 ms', {
    retry: 2,
  }, async () => {
    target = await restart(bimodal(42))
    const r = await runLoad({ url: target.origin, connections: 10, durationMs: 2000 })
    expect(r.errors).toEqual({})
    // The server's 1 ms waits are plain timers (+0..1 ms): "near 1 ms" means 1 to 2.5 ms here.
    expect(r.latency.p50).toBeGreaterThanOrEqual(0.95)
    expect(r.latency.p50).toBeLessThan(2.5)
    expect(r.latency.p99_9).toBeGreaterThanOrEqual(95)
    expect(r.latency.p99_9).toBeLessThan(120)
  })

  it('bimodal 99% at 1 ms / 1% at 100 ms, open model: p50 near 1 ms, p99.9 near 100 ms', {
    retry: 2,
  }, async () => {
    target = await restart(bimodal(7))
    const r = await runLoad({ url: target.origin, rate: 500, connections: 20, durationMs: 2000 })
    const info = JSON.stringify({ latency: r.latency, requests: r.requests, errors: r.errors })
    expect(r.errors, info).toEqual({})
    expect(r.requests.sent, info).toBe(1000)
    expect(r.latency.p50, info).toBeGreaterThanOrEqual(0.95)
    expect(r.latency.p50, info).toBeLessThan(2.5)
    expect(r.latency.p99_9).toBeGreaterThanOrEqual(95)
    expect(r.latency.p99_9).toBeLessThan(120)
  })
})
