// Merging per-second snapshots of several engines: exact totals, seconds in order whatever the arrival order.
import { describe, expect, it } from 'vitest'
import { Collector } from '../src/collector.ts'
import { createHistogram, encodeHistogram } from '../src/histogram.ts'
import type { LoadProgress } from '../src/result.ts'
import type { TickSnapshot } from '../src/tick.ts'

function snap(
  engine: number,
  second: number,
  requests: number,
  latencyUs: number,
  final = false,
): TickSnapshot {
  const h = createHistogram()
  for (let i = 0; i < requests; i++) h.recordValue(latencyUs)
  return {
    engine,
    second,
    final,
    requests,
    responses: requests,
    ok: requests,
    bytes: requests * 2,
    errors: engine === 1 ? { ECONNRESET: 1 } : {},
    statusCodes: { '200': requests },
    sent: requests,
    late: 0,
    dropped: 0,
    cancelled: 0,
    names: null,
    protocols: [],
    histogram: engine === 0 ? h : encodeHistogram(h),
    histogramSent: engine === 0 ? h : encodeHistogram(h),
    lateGenerator: 0,
    health: null,
    inFlight: 1,
    elapsedMs: final ? second * 1000 + 500 : (second + 1) * 1000,
    sendWindowMs: final ? 2000 : 0,
  }
}

describe('Collector', () => {
  it('waits for every engine before closing a second, even when one finishes first', () => {
    const progress: LoadProgress[] = []
    const c = new Collector(2, 2000, (p) => progress.push(p))
    c.add(snap(0, 0, 10, 1000))
    expect(c.timeseries).toEqual([])
    c.add(snap(0, 1, 10, 1000))
    c.add(snap(0, 2, 5, 1000, true)) // engine 0 done; engine 1 has not reported anything yet
    expect(c.timeseries).toEqual([])
    c.add(snap(1, 0, 20, 3000))
    expect(c.timeseries.map((p) => p.second)).toEqual([1])
    c.add(snap(1, 1, 20, 3000))
    c.add(snap(1, 2, 4, 3000, true))
    expect(c.timeseries.map((p) => p.second)).toEqual([1, 2, 3])
    expect(c.timeseries.map((p) => p.requests)).toEqual([30, 30, 9])
    expect(c.timeseries[2]!.durationMs).toBe(500)
    expect(c.timeseries[0]!.p50).toBeCloseTo(3, 2)
    expect(c.completed).toBe(69)
    expect(c.total.totalCount).toBe(69)
    expect(c.errors).toEqual({ ECONNRESET: 3 })
    expect(c.statusCodes).toEqual({ '200': 69 })
    expect(progress.map((p) => p.requests)).toEqual([30, 60, 69])
  })
})
