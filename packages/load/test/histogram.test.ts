// summarize() takes one pass over the counts; its figures must be hdr-histogram-js's own (mean, stdDeviation,
// getValueAtPercentile), which take a pass per figure.
import { seededRandom } from '@hotpath/test-helpers'
import { describe, expect, it } from 'vitest'
import {
  addHistogram,
  createHistogram,
  encodeHistogram,
  type Histogram,
  recordMs,
  summarize,
} from '../src/histogram.ts'

/** The summary as hdr-histogram-js computes it. */
function reference(h: Histogram) {
  const ms = (us: number) => us / 1000
  const round3 = (v: number) => Math.round(v * 1000) / 1000
  return {
    min: ms(h.minNonZeroValue),
    mean: round3(ms(h.mean)),
    stdev: round3(ms(h.stdDeviation)),
    p50: ms(h.getValueAtPercentile(50)),
    p75: ms(h.getValueAtPercentile(75)),
    p90: ms(h.getValueAtPercentile(90)),
    p95: ms(h.getValueAtPercentile(95)),
    p99: ms(h.getValueAtPercentile(99)),
    p99_9: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
  }
}

describe('summarize', () => {
  it("matches hdr-histogram-js's figures on random histograms (narrow, wide, tiny, heavy-tailed)", () => {
    const random = seededRandom(15)
    for (let trial = 0; trial < 200; trial++) {
      const h = createHistogram()
      const n = 1 + Math.floor(random() * 3000)
      for (let i = 0; i < n; i++) {
        const kind = trial % 4
        const v =
          kind === 0
            ? 10 + random() * 0.01
            : kind === 1
              ? Math.exp(random() * 12) / 100
              : kind === 2
                ? random() * 0.002
                : random() < 0.01
                  ? 100 + random() * 900
                  : 1 + random()
        recordMs(h, v)
      }
      const want = reference(h)
      const got = summarize(h)
      // Percentiles, min and max exactly; mean and deviation to their rounding (0.001 ms: the sums are
      // accumulated in another order).
      const { mean, stdev, ...exact } = want
      expect({ ...got, mean, stdev }, `trial ${trial}`).toEqual({ ...exact, mean, stdev })
      expect(Math.abs(got.mean - mean), `trial ${trial} mean`).toBeLessThanOrEqual(0.001 + 1e-9)
      expect(Math.abs(got.stdev - stdev), `trial ${trial} stdev`).toBeLessThanOrEqual(0.001 + 1e-9)
    }
  })

  it("recordMs fills the same buckets as hdr-histogram-js's recordValue (powers of two, their neighbours, the range)", () => {
    const random = seededRandom(31)
    const values: number[] = [
      1,
      2,
      3,
      2047,
      2048,
      2049,
      4095,
      4096,
      4097,
      2 ** 31 - 1,
      2 ** 31,
      3_600_000_000,
    ]
    for (let k = 1; k < 32; k++) values.push(2 ** k - 1, 2 ** k, 2 ** k + 1)
    for (let i = 0; i < 20_000; i++) values.push(1 + Math.floor(Math.exp(random() * 21)))
    const fast = createHistogram()
    const reference = createHistogram()
    for (const us of values) {
      recordMs(fast, us / 1000)
      reference.recordValue(us)
    }
    expect(fast.totalCount).toBe(values.length)
    expect(encodeHistogram(fast)).toBe(encodeHistogram(reference))
    expect(fast.minNonZeroValue).toBe(reference.minNonZeroValue)
    expect(fast.maxValue).toBe(reference.maxValue)
  })

  it("addHistogram adds the counts as hdr-histogram-js's add() does (min, max, total, every bucket)", () => {
    const random = seededRandom(47)
    for (let trial = 0; trial < 50; trial++) {
      const parts = Array.from({ length: 1 + (trial % 4) }, () => {
        const h = createHistogram()
        const n = trial % 7 === 0 ? 0 : 1 + Math.floor(random() * 2000)
        for (let i = 0; i < n; i++) recordMs(h, Math.exp(random() * 14) / 1000)
        return h
      })
      const fast = createHistogram()
      const reference = createHistogram()
      for (const p of parts) {
        addHistogram(fast, p)
        reference.add(p)
      }
      expect(fast.totalCount, `trial ${trial}`).toBe(reference.totalCount)
      expect(encodeHistogram(fast), `trial ${trial}`).toBe(encodeHistogram(reference))
      expect(summarize(fast), `trial ${trial}`).toEqual(summarize(reference))
    }
  })

  it('an empty histogram is all zeros', () => {
    expect(summarize(createHistogram())).toEqual({
      min: 0,
      mean: 0,
      stdev: 0,
      p50: 0,
      p75: 0,
      p90: 0,
      p95: 0,
      p99: 0,
      p99_9: 0,
      max: 0,
    })
  })
})
