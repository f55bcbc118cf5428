// The open-model schedule: a pure function of time. Send number i (0-based) is intended at timeOf(i) ms
// after the start, where the cumulative rate integral reaches i; due(t) is how many sends are due by t.
import type { Stage } from './stages.ts'

export interface OpenSchedule {
  /** Number of sends in the whole run. */
  readonly total: number
  /** Length of the sending window in ms. */
  readonly durationMs: number
  /** Number of sends whose intended time is <= t (ms since start), capped at total. */
  due(t: number): number
  /** Intended time in ms since start of send i. */
  timeOf(i: number): number
}

interface Segment {
  start: number
  length: number
  r0: number
  r1: number
  /** Cumulative sends at the segment's start. */
  cum: number
}

const EPS = 1e-7

/**
 * Builds the schedule for a constant `rate` (requests/s) or for ramping `stages` starting at `rate ?? 0`.
 * `duration` (ms) bounds the window; `amount` caps the number of sends.
 */
export function createOpenSchedule(config: {
  rate?: number | undefined
  stages?: readonly Stage[] | undefined
  duration: number
  amount?: number | undefined
}): OpenSchedule {
  const segments: Segment[] = []
  const durationMs = config.duration
  let cum = 0
  const push = (start: number, length: number, r0: number, r1: number) => {
    if (length <= 0 || start >= durationMs) return
    if (start + length > durationMs) {
      const cut = durationMs - start
      r1 = r0 + ((r1 - r0) * cut) / length
      length = cut
    }
    segments.push({ start, length, r0, r1, cum })
    cum += ((r0 + r1) / 2) * (length / 1000)
  }
  if (config.stages && config.stages.length > 0) {
    let t = 0
    let from = config.rate ?? 0
    for (const s of config.stages) {
      push(t, s.duration, from, s.target)
      t += s.duration
      from = s.target
    }
  } else {
    push(0, durationMs, config.rate ?? 0, config.rate ?? 0)
  }
  let total = Math.max(0, Math.ceil(cum - EPS))
  if (config.amount !== undefined) total = Math.min(total, config.amount)

  const integral = (t: number): number => {
    if (t < 0) return -1
    for (let k = segments.length - 1; k >= 0; k--) {
      const s = segments[k]!
      if (t >= s.start) {
        const x = Math.min(t - s.start, s.length)
        return s.cum + (s.r0 * x + ((s.r1 - s.r0) * x * x) / (2 * s.length)) / 1000
      }
    }
    return 0
  }

  return {
    total,
    durationMs,
    due(t: number): number {
      if (t < 0 || total === 0) return 0
      const n = Math.floor(integral(t) + EPS) + 1
      return Math.min(n, total)
    },
    timeOf(i: number): number {
      for (let k = 0; k < segments.length; k++) {
        const s = segments[k]!
        const next = k + 1 < segments.length ? segments[k + 1]!.cum : Number.POSITIVE_INFINITY
        if (i >= next - EPS && next !== s.cum) continue
        if (s.r0 === 0 && s.r1 === 0) continue
        const y = (i - s.cum) * 1000
        const a = (s.r1 - s.r0) / (2 * s.length)
        const b = s.r0
        let x: number
        if (Math.abs(a) < 1e-12) x = y / b
        else x = (-b + Math.sqrt(Math.max(0, b * b + 4 * a * y))) / (2 * a)
        return s.start + Math.min(Math.max(0, x), s.length)
      }
      return durationMs
    },
  }
}

/** Sends of worker `index` among `count` workers (send i belongs to worker i % count) among the first `n`. */
export function shareOf(n: number, index: number, count: number): number {
  return n <= index ? 0 : Math.floor((n - index - 1) / count) + 1
}
