// The W-TinyLFU policy itself: the frequency sketch, segment transitions, scan resistance.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createCache } from '../src/index.ts'
import { FrequencySketch, hashKey } from '../src/l1/sketch.ts'
import { PROBATION, PROTECTED, TinyLfu, WINDOW } from '../src/l1/tinylfu.ts'
import type { DisposeReason } from '../src/l1/store.ts'

function store(max: number, maxBytes?: number) {
  const disposed: [string, DisposeReason][] = []
  let t = 1_000
  const s = new TinyLfu({
    max,
    maxBytes,
    sizeOf: maxBytes === undefined ? undefined : (v) => String(v).length,
    dispose: (_v, key, reason) => disposed.push([key, reason]),
    now: () => t,
    coarseTime: false,
  })
  return { s, disposed, advance: (ms: number) => (t += ms) }
}
const TTL = { ttl: 60_000 }

describe('frequency sketch', () => {
  it('counts accesses per key (4-bit counters saturate at 15)', () => {
    const sketch = new FrequencySketch(1024)
    const a = hashKey('a')
    const b = hashKey('b')
    for (let i = 0; i < 5; i++) sketch.increment(a)
    sketch.increment(b)
    expect(sketch.frequency(a)).toBe(5)
    expect(sketch.frequency(b)).toBe(1)
    expect(sketch.frequency(hashKey('never'))).toBe(0)
    for (let i = 0; i < 100; i++) sketch.increment(a)
    expect(sketch.frequency(a)).toBe(15)
  })

  it('halves every counter after 10 x width increments', () => {
    const sketch = new FrequencySketch(64)
    const hot = hashKey('hot')
    for (let i = 0; i < 12; i++) sketch.increment(hot)
    expect(sketch.frequency(hot)).toBe(12)
    // distinct keys until the sample is full; 'hot' (12 plus what other keys added to its counters) is halved
    let before = 0
    for (let i = 0; sketch.resets === 0 && i < sketch.sampleSize * 4; i++) {
      before = sketch.frequency(hot)
      sketch.increment(hashKey(`k${i}`))
    }
    expect(sketch.resets).toBe(1)
    expect(before).toBeGreaterThanOrEqual(12)
    expect(sketch.frequency(hot)).toBeGreaterThanOrEqual(before >>> 1)
    expect(sketch.frequency(hot)).toBeLessThanOrEqual((before + 1) >>> 1)
    expect(sketch.additions).toBeLessThanOrEqual(sketch.sampleSize / 2)
  })

  it('hashes spread keys over the table (few collisions among 1_000 keys)', () => {
    const sketch = new FrequencySketch(4096)
    for (let i = 0; i < 1_000; i++) sketch.increment(hashKey(`user:${i}`))
    let exact = 0
    for (let i = 0; i < 1_000; i++) if (sketch.frequency(hashKey(`user:${i}`)) === 1) exact++
    expect(exact).toBeGreaterThan(990)
  })
})

describe('W-TinyLFU segments', () => {
  it('new keys enter the window; its overflow moves to probation; a hit in probation promotes to protected', () => {
    const { s } = store(100) // window 1, main 99 (protected up to 79)
    s.set('a', 1, TTL)
    expect(s.segmentOf('a')).toBe(WINDOW)
    s.set('b', 2, TTL)
    expect(s.segmentOf('b')).toBe(WINDOW)
    expect(s.segmentOf('a')).toBe(PROBATION)
    expect(s.get('a')).toBe(1)
    expect(s.segmentOf('a')).toBe(PROTECTED)
    expect(s.get('b')).toBe(2) // a window hit stays in the window
    expect(s.segmentOf('b')).toBe(WINDOW)
    expect(s.admitted).toBe(1)
  })

  it('protected over its share demotes its LRU entries to probation', () => {
    const { s } = store(11) // window 1, main 10, protected 8
    for (let i = 0; i < 11; i++) s.set(`k${i}`, i, TTL)
    for (let i = 0; i < 10; i++) s.get(`k${i}`) // k0..k9 in probation: each hit promotes
    expect(s.keysOf(PROTECTED)).toEqual(['k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9'])
    expect(s.keysOf(PROBATION)).toEqual(['k0', 'k1'])
    expect(s.keysOf(WINDOW)).toEqual(['k10'])
  })

  it('a full main admits a candidate only when the sketch saw it more often than the victim', () => {
    const { s, disposed } = store(3) // window 1, main 2
    s.set('a', 1, TTL)
    s.set('b', 2, TTL)
    s.set('c', 3, TTL) // a, b in probation, c in the window
    s.set('d', 4, TTL) // candidate c (seen once) vs victim a (seen once): c is turned away
    expect(disposed).toEqual([['c', 'evict']])
    expect(s.rejected).toBe(1)
    // e was asked for before: the sketch has seen it more often than a
    s.get('e')
    for (let i = 0; i < 3; i++) s.set('e', 5, TTL)
    s.set('f', 6, TTL) // candidate e (4) vs victim a (1): a goes, e enters probation
    expect(disposed.at(-1)).toEqual(['a', 'evict'])
    expect(s.segmentOf('e')).toBe(PROBATION)
  })

  it('hits of resident entries count in later contests (counted lazily, per entry)', () => {
    const { s, disposed } = store(3) // window 1, main 2, protected 1
    for (const k of ['a', 'b', 'c']) s.set(k, k, TTL) // a, b in probation, c in the window
    for (let i = 0; i < 5; i++) s.get('a') // a: protected
    s.get('b') // b: protected, a back to probation (its 5 hits not in the sketch yet)
    for (let i = 0; i < 3; i++) s.get('c')
    expect(s.sketch.frequency(hashKey('a'))).toBe(1)
    s.set('d', 'd', TTL) // candidate c (1 + 3) vs victim a (1 + 5): c is turned away
    expect(disposed).toEqual([['c', 'evict']])
    expect(s.sketch.frequency(hashKey('a'))).toBe(6)
    expect(s.sketch.frequency(hashKey('c'))).toBe(4) // counted when it left
  })

  it('an expired victim loses to any candidate; an expired entry is removed on get', () => {
    const { s, disposed, advance } = store(3)
    s.set('a', 1, { ttl: 10 })
    s.set('b', 2, TTL)
    s.set('c', 3, TTL)
    advance(20)
    s.set('d', 4, TTL) // candidate c vs expired victim a
    expect(disposed).toEqual([['a', 'evict']])
    expect(s.segmentOf('c')).toBe(PROBATION)
    s.set('x', 9, { ttl: 5 })
    advance(6)
    expect(s.get('x')).toBeUndefined()
    expect(disposed.at(-1)).toEqual(['x', 'expire'])
  })

  it('a byte bound evicts by bytes, never the entry just written while others can go', () => {
    const { s } = store(100, 100)
    s.set('x', 'x'.repeat(40), TTL)
    s.set('y', 'y'.repeat(40), TTL)
    s.set('y', 'y'.repeat(90), TTL)
    expect(s.get('y')).toBe('y'.repeat(90))
    expect(s.get('x')).toBeUndefined()
    expect(s.calculatedSize).toBe(90)
    s.set('huge', 'h'.repeat(101), TTL) // larger than the bound: not kept
    expect(s.get('huge')).toBeUndefined()
    expect(s.calculatedSize).toBe(90)
  })
})

describe('scan resistance', () => {
  it('50_000 one-time scan keys do not flush 500 hot keys read now and then (lru loses most)', async () => {
    const hot = Array.from({ length: 500 }, (_, i) => `hot:${i}`)
    const read = async (cache: ReturnType<typeof createCache>, k: string) => {
      if (cache.peek(k) === undefined) await cache.set(k, k)
    }
    const run = async (policy: 'lru' | 'tinylfu') => {
      await using cache = createCache({ l1: { policy, max: 1_000 } })
      for (let round = 0; round < 5; round++) for (const k of hot) await read(cache, k)
      // the scan: each hot key is read once per 5_000 scan keys (5x the capacity)
      for (let i = 0; i < 50_000; i++) {
        await cache.set(`scan:${i}`, i)
        if (i % 10 === 0) await read(cache, hot[(i / 10) % hot.length]!)
      }
      const kept = hot.filter((k) => cache.peek(k) !== undefined).length
      return { kept, stats: cache.stats() }
    }
    const lfu = await run('tinylfu')
    const lru = await run('lru')
    expect(lfu.kept).toBe(hot.length)
    expect(lru.kept).toBeLessThan(hot.length / 3)
    expect(lfu.stats.rejections).toBeGreaterThan(45_000)
    expect(lfu.stats.admissions).toBeGreaterThanOrEqual(hot.length)
    expect(lfu.stats.entries).toBeLessThanOrEqual(1_000)
    expect(lru.stats.admissions).toBe(0)
  })
})

describe('W-TinyLFU invariants (property-based)', () => {
  type Op =
    | { op: 'set'; key: number; size: number }
    | { op: 'get'; key: number }
    | { op: 'delete'; key: number }
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ op: fc.constant('set' as const), key: fc.nat(30), size: fc.integer({ min: 1, max: 40 }) }),
    fc.record({ op: fc.constant('get' as const), key: fc.nat(30) }),
    fc.record({ op: fc.constant('delete' as const), key: fc.nat(30) }),
  )

  it('bounds hold, every entry is in exactly one segment, and a get never returns a wrong value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(opArb, { maxLength: 300 }), (max, ops) => {
        const { s } = store(max, 100)
        const model = new Map<string, string>()
        let version = 0
        for (const o of ops) {
          const key = `k${o.key}`
          if (o.op === 'set') {
            const value = `${version++}`.padEnd(o.size, '.')
            s.set(key, value, TTL)
            model.set(key, value)
          } else if (o.op === 'get') {
            const got = s.get(key)
            if (got !== undefined) expect(got).toBe(model.get(key))
          } else {
            s.delete(key)
            model.delete(key)
          }
          const lists = ([WINDOW, PROBATION, PROTECTED] as const).flatMap((seg) => s.keysOf(seg))
          expect(lists.length).toBe(s.size)
          expect(new Set(lists).size).toBe(s.size)
          expect(s.size).toBeLessThanOrEqual(max)
          expect(s.calculatedSize).toBeLessThanOrEqual(100)
          expect(s.calculatedSize).toBe(lists.reduce((n, k) => n + (model.get(k)?.length ?? Number.NaN), 0))
        }
      }),
      { numRuns: 300, seed: 20_261_202 },
    )
  })
})
