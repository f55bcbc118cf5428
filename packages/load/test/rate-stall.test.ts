// Open-model rate accuracy and the stall test (coordinated omission cannot hide a frozen server).
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { afterEach, describe, expect, it } from 'vitest'
import { decodeHistogram } from '../src/histogram.ts'
import { runLoad } from '../src/run.ts'
import { startTarget, type TargetProcess } from './servers.ts'

let target: TargetProcess | undefined
afterEach(async () => {
  await target?.close()
  target = undefined
})

describe('open model rate', () => {
  it('500 req/s for 3 s: the server receives exactly the scheduled sends', async () => {
    target = await startTarget({ mode: 'none' })
    const loop = monitorEventLoopDelay({ resolution: 1 })
    loop.enable()
    const r = await runLoad({ url: target.origin, rate: 500, connections: 10, duration: 3000 })
    loop.disable()
    const { received, loopDelayMaxMs } = await target.stats()
    // The schedule is exact: 1500 sends, each sent or (only when the generator was starved of CPU for longer than
    // the send could wait) dropped; the server received exactly the ones sent.
    expect(r.requests.sent + r.requests.dropped).toBe(1500)
    expect(received).toBe(r.requests.sent)
    // Over the sending window (its end is a timer: within a millisecond or so of 3 s), within 1%.
    expect(r.throughput.sendRate).toBeLessThanOrEqual(505)
    expect(r.throughput.sendRate).toBeGreaterThanOrEqual(495 * (r.requests.sent / 1500))
    // Per-second series: about 500 completions per full second. A stall of either event loop moves up to
    // rate x stall completions across a second's boundary (at its start and at its end): that much slack, no more.
    const stalls = loop.max / 1e6 + loopDelayMaxMs
    const slack = 10 + (2 * 500 * stalls) / 1000 + r.requests.dropped
    for (const p of r.timeseries.slice(1, 2)) {
      expect(Math.abs(p.requests - 500), JSON.stringify({ p, stalls })).toBeLessThanOrEqual(slack)
    }
  })
})

describe('stall (server frozen for 1 s)', () => {
  const D = 3000
  const S = 1000
  const R = 200

  it('open model: p99 reflects the stall as the arithmetic predicts (within 15%)', async () => {
    target = await startTarget({ mode: 'none' })
    const t = target
    setTimeout(() => void t.freeze(S), 1500)
    const r = await runLoad({ url: t.origin, rate: R, connections: 10, duration: D })
    // Sends intended during the stall wait until it ends, then catch up at twice the rate (catchUp 'burst-2x'):
    // the 2 x S x R sends until the schedule is caught up have latencies spread uniformly over (0, S].
    // P(latency > L) = 2 (S - L) / D, so p99 = S - 0.005 * D = 985 ms.
    const predicted = S - 0.005 * D
    expect(r.requests.sent + r.requests.dropped).toBe((R * D) / 1000)
    expect(r.errors).toEqual({})
    expect(r.latency.p99).toBeGreaterThanOrEqual(predicted * 0.85)
    expect(r.latency.p99).toBeLessThanOrEqual(predicted * 1.15)
    expect(r.latency.max).toBeGreaterThanOrEqual(S * 0.9)
    // About S * R sends could not go out on time: they are reported as late.
    expect(r.requests.late).toBeGreaterThan((S * R * 0.5) / 1000)
  })

  it('closed model: only the few requests in flight during the stall are slow', async () => {
    target = await startTarget({ mode: 'none' })
    const t = target
    setTimeout(() => void t.freeze(S), 1500)
    const connections = 10
    const r = await runLoad({ url: t.origin, connections, duration: D })
    const { held } = await t.stats()
    // Each connection waited on one held request; the generator then simply did not send: the stall hides.
    expect(held).toBeLessThanOrEqual(connections)
    expect(r.latency.max).toBeGreaterThanOrEqual(S * 0.9)
    const h = decodeHistogram(r.histogram)
    const slowShare = 1 - percentileRankBelow(h, 500)
    expect(slowShare * h.totalCount).toBeLessThanOrEqual(connections + 0.5)
  })
})

/** Fraction of recorded values below `ms` (binary search on the percentile function). */
function percentileRankBelow(h: ReturnType<typeof decodeHistogram>, ms: number): number {
  let lo = 0
  let hi = 100
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2
    if (h.getValueAtPercentile(mid) / 1000 < ms) lo = mid
    else hi = mid
  }
  return lo / 100
}
