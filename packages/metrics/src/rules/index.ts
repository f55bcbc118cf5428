// Every recommendation rule, in report order.
import { cacheHitRate } from './cache-hit-rate.ts'
import { cpu } from './cpu.ts'
import { eventLoopDelay } from './event-loop-delay.ts'
import { memory } from './memory.ts'
import { poolWait } from './pool-wait.ts'
import { slowQuery } from './slow-query.ts'
import type { Rule, RuleId } from './types.ts'
import { upstreamErrors } from './upstream-errors.ts'
import { upstreamLatency } from './upstream-latency.ts'

export const RULES: readonly Rule[] = Object.freeze([
  cacheHitRate,
  cpu,
  memory,
  eventLoopDelay,
  slowQuery,
  poolWait,
  upstreamErrors,
  upstreamLatency,
])

export const RULE_IDS: readonly RuleId[] = Object.freeze([
  'cache-hit-rate',
  'cpu',
  'memory',
  'event-loop-delay',
  'slow-query',
  'pool-wait',
  'upstream-errors',
  'upstream-latency',
] satisfies RuleId[])

export type { JudgedReport, Recommendation, Rule, RuleId, Severity } from './types.ts'
