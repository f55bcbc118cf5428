import { describe, expect, it } from 'vitest'
import { FINE_SIZE, fineIndex, fineValue, mergeSparse, quantile, toSparse } from '../src/fine.ts'
import { CounterFamily, HistogramFamily } from '../src/instruments.ts'

describe('fine buckets', () => {
  it('every value from 1 µs to 4 h lands in a bucket whose middle is within 1.6% of it', () => {
    for (let v = 1e-6; v < 16_000; v *= 1.013) {
      const mid = fineValue(fineIndex(v))
      expect(Math.abs(mid - v) / v).toBeLessThanOrEqual(0.016)
    }
  })

  it('indexes are monotonic and clamp at both ends', () => {
    let last = -1
    for (let v = 1e-7; v < 1e5; v *= 1.05) {
      const i = fineIndex(v)
      expect(i).toBeGreaterThanOrEqual(last)
      last = i
    }
    expect(fineIndex(0)).toBe(0)
    expect(fineIndex(1e-12)).toBe(0)
    expect(fineIndex(1e9)).toBe(FINE_SIZE - 1)
  })

  it('sparse merge adds counts and quantile reads them', () => {
    const a = new Uint32Array(FINE_SIZE)
    const b = new Uint32Array(FINE_SIZE)
    for (let i = 1; i <= 100; i++) {
      const target = i % 2 ? a : b
      const f = fineIndex(i / 1000)
      target[f] = (target[f] as number) + 1
    }
    const merged = mergeSparse(toSparse(a), toSparse(b))
    const summary = { count: 100, min: 0.001, max: 0.1, fine: merged }
    expect(quantile(summary, 0.5)).toBeCloseTo(0.05, 2)
    expect(quantile(summary, 1)).toBeCloseTo(0.1, 2)
    expect(Number.isNaN(quantile({ count: 0, min: 0, max: 0, fine: [] }, 0.5))).toBe(true)
  })
})

describe('instrument families', () => {
  it('the same attribute set in any key order, and a fresh object per call, hit one series', () => {
    const h = new HistogramFamily({ name: 'h', description: '', unit: 's' }, [1], 10)
    for (let i = 0; i < 5; i++) h.record(0.5, { a: 'x', b: i % 2 === 0 ? 1 : 1 })
    h.record(0.5, { b: 1, a: 'x' })
    const snap = h.snapshot()
    expect(snap.series).toHaveLength(1)
    expect(snap.series[0]?.count).toBe(6)
  })

  it('a prefix attribute set is its own series', () => {
    const c = new CounterFamily({ name: 'c', description: '', unit: '' }, 10)
    c.add(1, { a: 'x' })
    c.add(2, { a: 'x', b: 'y' })
    expect(c.snapshot().series.map((s) => s.value)).toEqual([1, 2])
  })

  it('raw values that fold into one series do not grow the index without bound', () => {
    const c = new CounterFamily({ name: 'c', description: '', unit: '' }, 3)
    for (let i = 0; i < 10_000; i++) {
      c.bind([`garbage-${i}`], () => ({ result: 'other' })).add(1)
    }
    expect(c.snapshot().series).toEqual([{ attributes: { result: 'other' }, value: 10_000 }])
    // internal bound: 4 x limit index entries
    expect((c as unknown as { indexed: number }).indexed).toBeLessThanOrEqual(12)
  })

  it('drops negative, NaN and infinite histogram values', () => {
    const h = new HistogramFamily({ name: 'h', description: '', unit: 's' }, [1], 10)
    h.record(-1)
    h.record(Number.NaN)
    h.record(Number.POSITIVE_INFINITY)
    h.record(2)
    expect(h.snapshot().series[0]).toMatchObject({ count: 1, sum: 2, counts: [0, 1] })
  })
})
