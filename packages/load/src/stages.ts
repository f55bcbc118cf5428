// Ramping stages: `10s:100,30s:1000,10s:0` = ramp linearly to 100 over 10 s, to 1000 over 30 s, to 0 over 10 s.
import { LoadInvalidOptionError } from './errors.ts'
import { parseDuration } from './units.ts'

export interface Stage {
  /** Length of the stage in milliseconds. */
  durationMs: number
  /** Value reached at the end of the stage: requests/s (open model) or connections (closed model). */
  target: number
}

export function parseStages(text: string): Stage[] {
  const parts = text.split(',').map((p) => p.trim())
  return parts.map((part) => {
    const m = /^([^:]+):\s*(\d+(?:\.\d+)?)$/.exec(part)
    const durationMs = m ? parseDuration(m[1]!.trim()) : Number.NaN
    if (!m || !Number.isFinite(durationMs) || durationMs <= 0) {
      throw new LoadInvalidOptionError(
        'stages',
        text,
        `each stage is <duration>:<target>, comma separated, e.g. "10s:100,30s:1000,10s:0" (bad stage "${part}")`,
      )
    }
    return { durationMs, target: Number(m[2]) }
  })
}

export function validateStages(stages: readonly Stage[]): Stage[] {
  if (!Array.isArray(stages) || stages.length === 0) {
    throw new LoadInvalidOptionError('stages', stages, 'expected a non-empty array of { durationMs, target }')
  }
  return stages.map((s, i) => {
    if (
      !s ||
      !(s.durationMs > 0) ||
      !Number.isFinite(s.durationMs) ||
      !(s.target >= 0) ||
      !Number.isFinite(s.target)
    ) {
      throw new LoadInvalidOptionError(`stages[${i}]`, s, 'expected { durationMs > 0, target >= 0 }')
    }
    return { durationMs: s.durationMs, target: s.target }
  })
}

/** Total length of the stages in milliseconds. */
export function stagesDuration(stages: readonly Stage[]): number {
  let total = 0
  for (const s of stages) total += s.durationMs
  return total
}

/** Value of a piecewise-linear profile at `t` ms: ramps from `start` through each stage's target. */
export function valueAt(stages: readonly Stage[], start: number, t: number): number {
  let from = start
  let t0 = 0
  for (const s of stages) {
    if (t < t0 + s.durationMs) return from + ((s.target - from) * (t - t0)) / s.durationMs
    from = s.target
    t0 += s.durationMs
  }
  return from
}
