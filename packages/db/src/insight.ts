// Per-fingerprint statement statistics (like pg_stat_statements) and the slow-query log.
import type { Clock } from '@hotpath/core'

export interface QueryStats {
  fingerprint: string
  summary: string
  count: number
  totalMs: number
  meanMs: number
  p95Ms: number
  maxMs: number
  rows: number
  errors: number
}

const SAMPLES = 256

/** Mutable counters of one fingerprint. Recording is a few additions and one array store. */
export class FingerprintStats {
  readonly fingerprint: string
  readonly summary: string
  count = 0
  totalMs = 0
  maxMs = 0
  rows = 0
  errors = 0
  private readonly samples = new Float64Array(SAMPLES)

  constructor(fingerprint: string, summary: string) {
    this.fingerprint = fingerprint
    this.summary = summary
  }

  record(durationMs: number, rows: number, failed: boolean): void {
    this.samples[this.count & (SAMPLES - 1)] = durationMs
    this.count++
    this.totalMs += durationMs
    if (durationMs > this.maxMs) this.maxMs = durationMs
    this.rows += rows
    if (failed) this.errors++
  }

  snapshot(): QueryStats {
    const n = Math.min(this.count, SAMPLES)
    let p95 = 0
    if (n > 0) {
      const sorted = Array.from(this.samples.subarray(0, n)).sort((a, b) => a - b)
      p95 = sorted[Math.min(n - 1, Math.ceil(n * 0.95) - 1)]!
    }
    return {
      fingerprint: this.fingerprint,
      summary: this.summary,
      count: this.count,
      totalMs: this.totalMs,
      meanMs: this.count === 0 ? 0 : this.totalMs / this.count,
      p95Ms: p95,
      maxMs: this.maxMs,
      rows: this.rows,
      errors: this.errors,
    }
  }
}

export interface SlowQuery {
  fingerprint: string
  summary: string
  /** The statement text as given (parameter placeholders, never the parameter values). */
  sql: string
  /** Slowest duration seen (ms) and how many executions reached slowQueryThreshold. */
  durationMs: number
  count: number
  /** Wall-clock epoch ms (the database clock's epoch()) of the last slow execution. */
  lastAt: number
  /** Plan from EXPLAIN (QUERY PLAN rows on SQLite, FORMAT JSON on PostgreSQL) when it could be taken. */
  plan?: unknown
  planError?: string
}

/** N+1: this many executions of one fingerprint within `N_PLUS_ONE_WINDOW_MS`, half of them distinct values. */
export const N_PLUS_ONE_COUNT = 20
export const N_PLUS_ONE_WINDOW_MS = 1_000

export interface NPlusOne {
  fingerprint: string
  summary: string
  sql: string
  /** Most executions seen in one window, and how many distinct parameter lists they had. */
  count: number
  distinct: number
  /** Wall-clock epoch ms (the database clock's epoch()) when it was last seen. */
  lastAt: number
}

interface Burst {
  start: number
  count: number
  distinct: Set<string>
}

/** Keeps per-fingerprint stats (bounded) and one slow-query entry per fingerprint (bounded). */
export class Insight {
  private readonly byFingerprint = new Map<string, FingerprintStats>()
  private readonly slow = new Map<string, SlowQuery>()
  private readonly planning = new Set<Promise<void>>()
  private readonly maxFingerprints: number
  private readonly clock: Clock
  private readonly bursts = new Map<string, Burst>()
  private readonly nPlusOnes = new Map<string, NPlusOne>()

  constructor(clock: Clock, maxFingerprints = 5_000) {
    this.clock = clock
    this.maxFingerprints = maxFingerprints
  }

  statsFor(fingerprint: string, summary: string): FingerprintStats {
    let s = this.byFingerprint.get(fingerprint)
    if (s === undefined) {
      if (this.byFingerprint.size >= this.maxFingerprints) {
        const other = this.byFingerprint.get('(other)')
        if (other !== undefined) return other
        s = new FingerprintStats('(other)', 'OTHER')
        this.byFingerprint.set('(other)', s)
        return s
      }
      s = new FingerprintStats(fingerprint, summary)
      this.byFingerprint.set(fingerprint, s)
    }
    return s
  }

  /** Records a slow statement; `explain` is called once per fingerprint to capture the plan. */
  recordSlow(
    sql: string,
    fingerprint: string,
    summary: string,
    durationMs: number,
    explain?: () => Promise<unknown>,
  ): void {
    const existing = this.slow.get(fingerprint)
    if (existing !== undefined) {
      existing.count++
      existing.lastAt = this.clock.epoch()
      if (durationMs > existing.durationMs) existing.durationMs = durationMs
      return
    }
    if (this.slow.size >= 200) {
      const first = this.slow.keys().next().value
      if (first !== undefined) this.slow.delete(first)
    }
    const entry: SlowQuery = { fingerprint, summary, sql, durationMs, count: 1, lastAt: this.clock.epoch() }
    this.slow.set(fingerprint, entry)
    if (explain === undefined) return
    const p: Promise<void> = explain().then(
      (plan) => {
        entry.plan = plan
        this.planning.delete(p)
      },
      (error: unknown) => {
        entry.planError = error instanceof Error ? error.message : String(error)
        this.planning.delete(p)
      },
    )
    this.planning.add(p)
  }

  /** Counts an execution with parameters towards the N+1 window of its fingerprint (database clock). */
  observe(sql: string, fingerprint: string, summary: string, params: unknown): void {
    const now = this.clock.now()
    let b = this.bursts.get(fingerprint)
    if (b === undefined || now - b.start > N_PLUS_ONE_WINDOW_MS) {
      if (b === undefined && this.bursts.size >= this.maxFingerprints) return
      b = { start: now, count: 0, distinct: new Set() }
      this.bursts.set(fingerprint, b)
    }
    b.count++
    if (b.distinct.size < N_PLUS_ONE_COUNT) b.distinct.add(JSON.stringify(params))
    if (b.count < N_PLUS_ONE_COUNT || b.distinct.size * 2 < N_PLUS_ONE_COUNT) return
    const seen = this.nPlusOnes.get(fingerprint)
    if (seen !== undefined) {
      seen.count = Math.max(seen.count, b.count)
      seen.distinct = Math.max(seen.distinct, b.distinct.size)
      seen.lastAt = this.clock.epoch()
      return
    }
    if (this.nPlusOnes.size >= 200) {
      const first = this.nPlusOnes.keys().next().value
      if (first !== undefined) this.nPlusOnes.delete(first)
    }
    this.nPlusOnes.set(fingerprint, {
      fingerprint,
      summary,
      sql,
      count: b.count,
      distinct: b.distinct.size,
      lastAt: this.clock.epoch(),
    })
  }

  nPlusOne(fingerprint?: string): NPlusOne[] {
    if (fingerprint !== undefined) {
      const one = this.nPlusOnes.get(fingerprint)
      return one === undefined ? [] : [{ ...one }]
    }
    return [...this.nPlusOnes.values()].map((x) => ({ ...x })).sort((a, b) => b.count - a.count)
  }

  async slowQueries(): Promise<SlowQuery[]> {
    await Promise.all([...this.planning])
    return [...this.slow.values()].sort((a, b) => b.durationMs - a.durationMs)
  }

  settled(): Promise<unknown> {
    return Promise.all([...this.planning])
  }

  queries(): QueryStats[] {
    const out: QueryStats[] = []
    for (const s of this.byFingerprint.values()) out.push(s.snapshot())
    return out.sort((a, b) => b.totalMs - a.totalMs)
  }
}
