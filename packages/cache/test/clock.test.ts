// The `clock` option: every time read of an instance goes through it (L1 TTLs: test/l1-suite.ts).
import { describe, expect, it } from 'vitest'
import { createCache, InvalidOptionError } from '../src/index.ts'
import { manualClock } from './manual-clock.ts'

describe('clock option', () => {
  it('L2 envelopes carry epoch() times; another instance judges them on its own clock', async () => {
    const store = new Map<string, unknown>()
    const clockA = manualClock(1_800_000_000_000)
    const clockB = manualClock(1_800_000_000_000)
    await using a = createCache({ clock: clockA, l2: store, l1: false, ttl: 10_000 })
    await using b = createCache({ clock: clockB, l2: store, l1: false })
    await a.set('k', 'v')
    const raw = store.get('hotpath:k') as string
    expect(raw.slice(4, 17)).toBe(String(1_800_000_000_000 + 10_000))
    clockB.advance(9_999)
    expect(await b.get('k')).toBe('v')
    clockB.advance(1)
    expect(await b.get('k')).toBeUndefined()
    expect(await a.get('k')).toBe('v') // a's clock did not move
  })

  it('invalidation stamps come from the clock and stay strictly increasing', async () => {
    const clock = manualClock()
    await using cache = createCache({ clock })
    // the clock does not move: stamps still order the write after the invalidation
    await cache.set('k', 1, { tags: ['t'] })
    await cache.invalidateTags(['t'])
    expect(cache.peek('k')).toBeUndefined()
    await cache.set('k', 2, { tags: ['t'] })
    expect(cache.peek('k')).toBe(2)
  })

  it('rejects something that is not a clock', () => {
    expect(() => createCache({ clock: Date as never })).toThrow(InvalidOptionError)
    expect(() => createCache({ clock: { now: () => 1 } as never })).toThrow(/invalid option "clock"/)
  })
})
