// The `clock` option: every time read of an instance goes through it.
import { systemClock } from '@hotpath/core'
import { describe, expect, it, vi } from 'vitest'
import { createCache, InvalidOptionError } from '../src/index.ts'
import { manualClock } from './manual-clock.ts'

describe('clock option', () => {
  it('L1 TTLs of plain and wrapped (grace, tags) entries follow the injected clock', async () => {
    const clock = manualClock()
    await using cache = createCache({ clock, ttl: 1_000 })
    await cache.set('plain', 1)
    await cache.set('tagged', 2, { tags: ['t'] })
    await cache.set('graced', 3, { grace: 500 })
    clock.advance(999)
    expect([cache.peek('plain'), cache.peek('tagged'), cache.peek('graced')]).toEqual([1, 2, 3])
    clock.advance(2)
    expect([cache.peek('plain'), cache.peek('tagged'), cache.peek('graced')]).toEqual([
      undefined,
      undefined,
      undefined,
    ])
    // within grace getOrSet serves the stale value (and refreshes behind it)
    expect(await cache.getOrSet('graced', () => 4)).toBe(3)
  })

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

  it('defaults to systemClock, which Vitest fake timers drive', async () => {
    vi.useFakeTimers()
    try {
      await using cache = createCache({ clock: systemClock, ttl: 50 })
      await cache.set('k', 1)
      await vi.advanceTimersByTimeAsync(49)
      expect(cache.peek('k')).toBe(1)
      await vi.advanceTimersByTimeAsync(2)
      expect(cache.peek('k')).toBeUndefined()
    } finally {
      vi.useRealTimers()
    }
  })

  it('rejects something that is not a clock', () => {
    expect(() => createCache({ clock: Date as never })).toThrow(InvalidOptionError)
    expect(() => createCache({ clock: { now: () => 1 } as never })).toThrow(/invalid option "clock"/)
  })
})
