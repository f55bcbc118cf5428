import { describe, expect, it } from 'vitest'
import { createOpenSchedule, shareOf } from '../src/schedule.ts'
import { parseStages } from '../src/stages.ts'

/** A fake clock driving the schedule: which sends are due at each tick, exactly as the engine asks. */
function drive(schedule: ReturnType<typeof createOpenSchedule>, stepMs: number, untilMs: number): number[] {
  const sendTimes: number[] = []
  let sent = 0
  for (let t = 0; ; t = Math.min(untilMs, t + stepMs)) {
    const due = schedule.due(t)
    while (sent < due) sendTimes.push(schedule.timeOf(sent++))
    if (t === untilMs) break
  }
  return sendTimes
}

describe('open schedule (pure function of time)', () => {
  it('constant rate: 500 req/s for 4 s is exactly 2000 sends, 2 ms apart, first at t=0', () => {
    const s = createOpenSchedule({ rate: 500, duration: 4000 })
    expect(s.total).toBe(2000)
    expect(s.due(0)).toBe(1)
    expect(s.due(1.999)).toBe(1)
    expect(s.due(2)).toBe(2)
    expect(s.due(3999.9)).toBe(2000)
    expect(s.due(1e9)).toBe(2000)
    expect(s.timeOf(0)).toBe(0)
    expect(s.timeOf(1)).toBeCloseTo(2, 9)
    expect(s.timeOf(1999)).toBeCloseTo(3998, 6)
  })

  it('is independent of how often the clock is read', () => {
    const s = createOpenSchedule({ rate: 733, duration: 3000 })
    const fine = drive(s, 0.1, 3000)
    const coarse = drive(s, 17, 3000)
    expect(fine).toEqual(coarse)
    expect(fine.length).toBe(s.total)
    expect(s.total).toBe(2199)
  })

  it('every send is due exactly from its intended time on (fake clock)', () => {
    const s = createOpenSchedule({ stages: parseStages('1s:100,2s:1000,1s:0'), duration: 4000 })
    for (let i = 0; i < s.total; i += 7) {
      const t = s.timeOf(i)
      expect(s.due(t)).toBeGreaterThanOrEqual(i + 1)
      expect(s.due(t - 0.01)).toBeLessThanOrEqual(i)
    }
  })

  it('ramping stages: the count is the area under the rate profile', () => {
    // 0 -> 100 over 1 s (50 sends), 100 -> 1000 over 2 s (1100), 1000 -> 0 over 1 s (500).
    const s = createOpenSchedule({ stages: parseStages('1s:100,2s:1000,1s:0'), duration: 4000 })
    expect(s.total).toBe(1650)
    expect(s.due(1000)).toBe(51)
    expect(s.due(3000)).toBe(1151)
    const times = drive(s, 1, 4000)
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThan(times[i - 1]!)
    expect(times.at(-1)!).toBeLessThan(4000)
  })

  it('a shorter duration cuts the stages; amount caps the sends', () => {
    expect(createOpenSchedule({ stages: parseStages('2s:100'), duration: 1000 }).total).toBe(25)
    expect(createOpenSchedule({ rate: 1000, duration: 10_000, amount: 123 }).total).toBe(123)
    expect(createOpenSchedule({ rate: 1000, duration: 10_000, amount: 123 }).due(1e6)).toBe(123)
  })

  it('shareOf partitions the sends among workers exactly', () => {
    for (const n of [0, 1, 7, 100, 2001]) {
      for (const workers of [1, 2, 3, 8]) {
        let sum = 0
        for (let k = 0; k < workers; k++) sum += shareOf(n, k, workers)
        expect(sum).toBe(n)
      }
    }
    expect(shareOf(5, 0, 2)).toBe(3)
    expect(shareOf(5, 1, 2)).toBe(2)
  })
})
