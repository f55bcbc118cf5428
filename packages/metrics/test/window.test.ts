// Issue 14 defect 2: recommendations judge a sliding window, not the figures since start.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMetrics, type Metrics } from '../src/index.ts'
import { cacheGet } from './helpers.ts'

let metrics: Metrics | undefined
afterEach(async () => {
  await metrics?.close()
  metrics = undefined
  vi.useRealTimers()
})

/** `n` lookups per second for `seconds` seconds, of which `hitRate` are hits (fake time). */
async function traffic(seconds: number, n: number, hitRate: number): Promise<void> {
  for (let s = 0; s < seconds; s++) {
    const hits = Math.round(n * hitRate)
    cacheGet('users', 'hit', 'l1', hits)
    cacheGet('users', 'miss', 'none', n - hits)
    await vi.advanceTimersByTimeAsync(1000)
  }
}

describe('defect 2: recommendations over a sliding window', () => {
  it('a healthy last window clears a cache-hit-rate warning that cumulative figures would keep', async () => {
    vi.useFakeTimers()
    metrics = createMetrics({ runtime: false, recommendationWindow: 10_000 }).instrument()
    await traffic(60, 100, 0.5) // a cold minute: 50 % hits
    await traffic(15, 100, 1) // then ~100 % hits
    const report = await metrics.report()
    expect(report.caches[0]?.hitRate).toBeLessThan(0.8) // cumulative figures are still the figures since start
    expect(report.window.seconds).toBeGreaterThanOrEqual(10)
    expect(report.window.seconds).toBeLessThanOrEqual(12)
    expect(report.recommendations.filter((r) => r.rule === 'cache-hit-rate')).toEqual([])
  })

  it('a new stall after healthy history is reported, with the window in the evidence (default 60 s)', async () => {
    vi.useFakeTimers()
    metrics = createMetrics({ runtime: false }).instrument()
    await traffic(600, 100, 1) // ten healthy minutes
    await traffic(60, 100, 0.2) // one bad minute
    const report = await metrics.report()
    expect(report.caches[0]?.hitRate).toBeGreaterThan(0.8)
    const rec = report.recommendations.find((r) => r.rule === 'cache-hit-rate')
    expect(rec?.evidence.windowSeconds).toBeGreaterThanOrEqual(60)
    expect(rec?.evidence.windowSeconds).toBeLessThanOrEqual(66)
    expect(rec?.evidence.hitRate).toBeCloseTo(0.2, 1)
    expect(report.window.seconds).toBe(rec?.evidence.windowSeconds)
  })

  it('a process younger than the window is judged since start', async () => {
    vi.useFakeTimers()
    metrics = createMetrics({ runtime: false }).instrument()
    await traffic(20, 100, 0.2)
    const report = await metrics.report()
    expect(report.window.seconds).toBe(20)
    expect(report.recommendations.find((r) => r.rule === 'cache-hit-rate')?.evidence.windowSeconds).toBe(20)
  })
})
