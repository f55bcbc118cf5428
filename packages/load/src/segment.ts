// Execution segments: n generators (processes, machines) each run a deterministic 1/n share of one test
// (`segment: '2/3'`): every n-th send of the open schedule, every n-th connection and iteration.
import { check } from './check.ts'

export interface Segment {
  /** 1-based index of this segment. */
  index: number
  /** Number of segments the test is split into. */
  count: number
}

export const WHOLE: Segment = { index: 1, count: 1 }

/** `'2/3'` or `{ index: 2, count: 3 }` (1 <= index <= count <= 1000). */
export function resolveSegment(value: unknown): Segment {
  if (value === undefined) return WHOLE
  let index: unknown
  let count: unknown
  if (typeof value === 'string') {
    const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value)
    if (m === null) return check.fail('segment', value, 'a segment "<i>/<n>" like "2/3" (1-based)')
    index = Number(m[1])
    count = Number(m[2])
  } else if (value !== null && typeof value === 'object') {
    ;({ index, count } = value as Record<string, unknown>)
  } else return check.fail('segment', value, 'a segment "<i>/<n>" or { index, count }')
  const n = check.integer('segment.count', count, undefined, 1, 1000)!
  const i = check.integer('segment.index', index, undefined, 1, n)!
  return { index: i, count: n }
}

/** `startAt`: a Date, an ISO 8601 string or epoch ms; returns epoch ms (undefined: start when ready). */
export function resolveStartAt(value: unknown): number | undefined {
  if (value === undefined) return undefined
  const ms =
    value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : Number(value)
  if (typeof value !== 'string' && typeof value !== 'number' && !(value instanceof Date)) {
    return check.fail('startAt', value, 'a Date, an ISO 8601 time or epoch milliseconds')
  }
  if (!Number.isFinite(ms))
    return check.fail('startAt', value, 'a Date, an ISO 8601 time or epoch milliseconds')
  return ms
}
