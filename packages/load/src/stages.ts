// Ramping stages: `10s:100,30s:1000,10s:0` = ramp linearly to 100 over 10 s, to 1000 over 30 s, to 0 over 10 s.
import { check } from './check.ts'
import { parseDuration } from './units.ts'

export interface Stage {
  /** Length of the stage in milliseconds. */
  duration: number
  /** Value reached at the end of the stage: requests/s (open model) or connections (closed model). */
  target: number
}

export function parseStages(text: string): Stage[] {
  const parts = text.split(',').map((p) => p.trim())
  return parts.map((part) => {
    const m = /^([^:]+):\s*(\d+(?:\.\d+)?)$/.exec(part)
    const duration = m ? parseDuration(m[1]!.trim()) : Number.NaN
    if (!m || !Number.isFinite(duration) || duration <= 0) {
      check.fail(
        'stages',
        text,
        `<duration>:<target> stages, comma separated, e.g. "10s:100,30s:1000,10s:0" (bad stage "${part}")`,
      )
    }
    return { duration, target: Number(m![2]) }
  })
}

export function validateStages(stages: readonly Stage[]): Stage[] {
  if (!Array.isArray(stages) || stages.length === 0) {
    check.fail(
      'stages',
      stages,
      'a non-empty array of { duration, target } (or a string like "10s:100,30s:1000")',
    )
  }
  return stages.map((s, i) => {
    check.object(`stages[${i}]`, s, ['duration', 'target'])
    return {
      duration: check.positive(`stages[${i}].duration`, s.duration ?? Number.NaN) as number,
      target: check.nonNegative(`stages[${i}].target`, s.target ?? Number.NaN) as number,
    }
  })
}

/** Total length of the stages in milliseconds. */
export function stagesDuration(stages: readonly Stage[]): number {
  let total = 0
  for (const s of stages) total += s.duration
  return total
}

/** Value of a piecewise-linear profile at `t` ms: ramps from `start` through each stage's target. */
export function valueAt(stages: readonly Stage[], start: number, t: number): number {
  let from = start
  let t0 = 0
  for (const s of stages) {
    if (t < t0 + s.duration) return from + ((s.target - from) * (t - t0)) / s.duration
    from = s.target
    t0 += s.duration
  }
  return from
}
