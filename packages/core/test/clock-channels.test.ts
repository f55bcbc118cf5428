import diagnostics_channel from 'node:diagnostics_channel'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { systemClock, typedChannel } from '../src/index.ts'

describe('systemClock', () => {
  afterEach(() => {
    vi.useRealTimers()
  })
  it('follows fake timers installed after import', () => {
    vi.useFakeTimers({ now: 1_000_000, toFake: ['Date', 'performance', 'setTimeout'] })
    const t0 = systemClock.now()
    const e0 = systemClock.epoch()
    expect(e0).toBe(1_000_000)
    vi.advanceTimersByTime(250)
    expect(systemClock.now() - t0).toBe(250)
    expect(systemClock.epoch()).toBe(1_000_250)
  })
})

describe('typedChannel', () => {
  it('is the diagnostics channel of that name', () => {
    const ch = typedChannel<{ n: number }>('hotpath:core:test')
    expect(ch).toBe(diagnostics_channel.channel('hotpath:core:test'))
    const seen: number[] = []
    const listener = (m: { n: number }) => seen.push(m.n)
    ch.subscribe(listener)
    expect(ch.hasSubscribers).toBe(true)
    ch.publish({ n: 7 })
    ch.unsubscribe(listener)
    expect(seen).toEqual([7])
  })
})
