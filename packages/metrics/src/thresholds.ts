// Thresholds of the recommendation rules (all configurable).
import { check } from './errors.ts'

export interface Thresholds {
  /** Cache hit rate (hits / lookups) below this triggers `cache-hit-rate`. Default 0.8. */
  cacheHitRate: number
  /** Lookups a cache needs before its hit rate is judged. Default 100. */
  cacheMinLookups: number
  /** Process CPU (fraction of one core) above this triggers `cpu`. Default 0.7. */
  cpuUtilization: number
  /** max(rss / memory limit, old-generation heap used / its limit) above this triggers `memory`. Default 0.8. */
  memoryUtilization: number
  /** Statements whose p95 or reported slow run exceeds this (ms) trigger `slow-query`. Default 50. */
  slowQuery: number
  /** Statement runs (in the window) before its p95 is judged. Default 20. */
  slowQueryMinCount: number
  /** Pool wait p95 above this (ms) triggers `pool-wait` (any acquire timeout does too). Default 10. */
  poolWaitP95: number
  /** Acquisitions (in the window) before a pool's wait p95 is judged. Default 20. */
  poolMinAcquisitions: number
  /** Event-loop delay p99 above this (ms) triggers `event-loop-delay`. Default 50. */
  eventLoopDelayP99: number
  /** Upstream error rate above this triggers `upstream-errors`. Default 0.01. */
  upstreamErrorRate: number
  /** Upstream p95 above this (ms) triggers `upstream-latency`. Default 500. */
  upstreamP95: number
  /** Requests an upstream needs before its error rate and latency are judged. Default 20. */
  upstreamMinRequests: number
}

export const DEFAULT_THRESHOLDS: Readonly<Thresholds> = Object.freeze({
  cacheHitRate: 0.8,
  cacheMinLookups: 100,
  cpuUtilization: 0.7,
  memoryUtilization: 0.8,
  slowQuery: 50,
  slowQueryMinCount: 20,
  poolWaitP95: 10,
  poolMinAcquisitions: 20,
  eventLoopDelayP99: 50,
  upstreamErrorRate: 0.01,
  upstreamP95: 500,
  upstreamMinRequests: 20,
})

// cpuUtilization is not capped at 1: it is a fraction of one core, and a process with busy GC or
// worker threads uses more than one.
const RATIOS: ReadonlySet<string> = new Set(['cacheHitRate', 'memoryUtilization', 'upstreamErrorRate'])

export function resolveThresholds(base: Thresholds, overrides: unknown, option: string): Thresholds {
  if (overrides === undefined) return base
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
    check.fail(option, overrides, 'an object of thresholds')
  }
  const out: Thresholds = { ...base }
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in DEFAULT_THRESHOLDS)) {
      check.fail(
        `${option}.${key}`,
        value,
        `no such threshold (known: ${Object.keys(DEFAULT_THRESHOLDS).join(', ')})`,
      )
    }
    if (value === undefined) continue
    const ratio = RATIOS.has(key)
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (ratio && value > 1)) {
      check.fail(`${option}.${key}`, value, ratio ? 'a number from 0 to 1' : 'a finite number >= 0')
    }
    out[key as keyof Thresholds] = value
  }
  return out
}
