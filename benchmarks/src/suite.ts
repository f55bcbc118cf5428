// What a benchmark suite is: contenders measured in rounds (a fresh random order each round),
// compared to a baseline of their group by per-round ratios.

export type Better = 'higher' | 'lower'

export interface Contender {
  name: string
  /** Contenders are compared within a group; each group has its own baseline. */
  group?: string
  /** Overrides the suite's unit (a memory figure in an ops/s suite, say). */
  unit?: string
  better?: Better
  /** How this contender is configured, shown in RESULTS.md (an anchor in its best documented configuration). */
  config?: string
  /** One round's figure in `unit` (ops/s by default). Use the helpers of measure.ts. */
  measure(): number | Promise<number>
  /**
   * Proves the contender does the work it claims (status, body length, value): throws when it does
   * not. Run before the first round and after the last; a failed check fails the suite.
   */
  check?(): void | Promise<void>
}

/** A claim the suite checks: the median per-round ratio `name` / `vs` must be at least (or at most) this. */
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
  /** Rounds: every round measures every contender once, in a fresh seeded random order. Default 5. */
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

/** What the child process reports about the suite (the parent never imports suite code). */
export interface SuiteMeta {
  name: string
  title: string
  unit: string
  better?: Better
  baseline: string | Record<string, string>
  contenders: Array<{ name: string; group?: string; unit?: string; better?: Better; config?: string }>
  targets: Target[]
}

/** Raw output of one suite run (child -> parent). */
export interface RawRun {
  meta: SuiteMeta
  seed: number
  rounds: number
  /** The order contenders ran in, per round. */
  orders: string[][]
  /** One figure per round per contender, in round order. */
  samples: Record<string, number[]>
  /** Thread CPU microseconds per operation, per round (when the contender's window reported its ops). */
  cpuPerOp: Record<string, number[]>
  /** Thread CPU time / wall time of each window (1 = one core busy). */
  cpuShare: Record<string, number[]>
}

export interface Spread {
  median: number
  q1: number
  q3: number
}

export interface ResultRow {
  name: string
  group: string
  config?: string
  median: number
  /** Interquartile range of the per-round figures. */
  q1: number
  q3: number
  min: number
  max: number
  unit: string
  better: Better
  samples: number[]
  /** Median thread CPU µs per operation (undefined when the window did not report its ops). */
  cpuPerOpUs?: number
  /** Median CPU share of the window (thread CPU / wall). */
  cpuShare?: number
  baseline: string
  /** Median and IQR of the per-round ratios to the baseline (1 for the baseline itself). */
  ratio: number
  ratioQ1: number
  ratioQ3: number
}

export interface TargetResult extends Target {
  /** Median per-round ratio. */
  ratio: number
  ratioQ1: number
  ratioQ3: number
  pass: boolean
}

export interface SuiteResult {
  suite: string
  title: string
  node: string
  cpu: string
  date: string
  rounds: number
  seed: number
  command: string
  results: ResultRow[]
  targets: TargetResult[]
}
