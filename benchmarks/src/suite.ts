// What a benchmark suite is: contenders measured in interleaved rounds, compared to a baseline.

export type Better = 'higher' | 'lower'

export interface Contender {
  name: string
  /** Contenders are compared within a group; each group has its own baseline. */
  group?: string
  /** Overrides the suite's unit (a memory figure in an ops/s suite, say). */
  unit?: string
  better?: Better
  /** One round's figure in `unit` (ops/s by default). Use the helpers of measure.ts. */
  measure(): number | Promise<number>
}

/** A claim the suite checks on medians: `name` / `vs` must be at least (or at most) this ratio. */
export interface Target {
  name: string
  vs: string
  atLeast?: number
  atMost?: number
}

export interface Suite {
  name: string
  title: string
  unit: string
  better?: Better
  /** Rounds: every round measures every contender once, in a rotated order. Default 5. */
  rounds?: number
  /** Baseline contender name, or one per group. */
  baseline: string | Record<string, string>
  setup?(): void | Promise<void>
  teardown?(): void | Promise<void>
  contenders: Contender[]
  targets?: Target[]
}

export function defineSuite(suite: Suite): Suite {
  return suite
}

export interface ResultRow {
  name: string
  group: string
  median: number
  min: number
  max: number
  unit: string
  better: Better
  samples: number[]
  baseline: string
  /** median / baseline median (1 for the baseline itself). */
  ratio: number
}

export interface TargetResult extends Target {
  ratio: number
  pass: boolean
}

export interface SuiteResult {
  suite: string
  title: string
  node: string
  cpu: string
  date: string
  rounds: number
  results: ResultRow[]
  targets: TargetResult[]
}
