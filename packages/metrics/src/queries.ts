// Per-fingerprint query statistics (for the report's top queries) and the slow-query list.
import { FINE_SIZE, fineIndex, mergeSparse, type SparseCounts, toSparse } from './fine.ts'

export interface QueryRecord {
  fingerprint: string
  summary: string
  system: string
  database: string
  count: number
  errors: number
  rows: number
  totalMs: number
  maxMs: number
  /** Fine histogram of durations in seconds (see fine.ts). */
  fine: SparseCounts
  minSeconds: number
  maxSeconds: number
}

export interface SlowQueryRecord {
  fingerprint: string
  summary: string
  system: string
  database: string
  count: number
  lastMs: number
  maxMs: number
  lastAt: number
  error?: string
}

interface LiveQuery {
  fingerprint: string
  summary: string
  system: string
  database: string
  count: number
  errors: number
  rows: number
  totalMs: number
  maxMs: number
  minSeconds: number
  fine: Uint32Array
}

/**
 * What the table reads of a `hotpath:db:query` / `hotpath:db:slow-query` payload. Structural on purpose (the
 * contract types stay out of the declarations): the pipeline passes the typed payload, so the compiler checks
 * that the contract provides these fields.
 */
export interface QueryMessage {
  database: string
  system: string
  fingerprint: string
  summary: string
  rows: number
  error?: { code?: string | undefined } | undefined
}

/** The fingerprint that absorbs statements past the table's limit. */
export const OTHER_QUERIES = '(other statements)'

export class QueryTable {
  private readonly limit: number
  private readonly slowLimit: number
  private readonly queries: Map<string, LiveQuery> = new Map()
  private readonly slow: Map<string, SlowQueryRecord> = new Map()

  constructor(limit: number, slowLimit: number) {
    this.limit = limit
    this.slowLimit = slowLimit
  }

  record(m: QueryMessage, durationMs: number): void {
    let fingerprint = typeof m.fingerprint === 'string' ? m.fingerprint : String(m.summary ?? '?')
    let q = this.queries.get(fingerprint)
    if (q === undefined) {
      if (this.queries.size >= this.limit) fingerprint = OTHER_QUERIES
      q = this.queries.get(fingerprint)
      if (q === undefined) {
        q = {
          fingerprint,
          summary: fingerprint === OTHER_QUERIES ? OTHER_QUERIES : String(m.summary ?? ''),
          system: String(m.system ?? ''),
          database: String(m.database ?? ''),
          count: 0,
          errors: 0,
          rows: 0,
          totalMs: 0,
          maxMs: 0,
          minSeconds: Number.POSITIVE_INFINITY,
          fine: new Uint32Array(FINE_SIZE),
        }
        this.queries.set(fingerprint, q)
      }
    }
    q.count++
    q.totalMs += durationMs
    if (durationMs > q.maxMs) q.maxMs = durationMs
    if (m.error !== undefined && m.error !== null) q.errors++
    if (typeof m.rows === 'number') q.rows += m.rows
    const s = durationMs / 1000
    if (s < q.minSeconds) q.minSeconds = s
    const f = fineIndex(s)
    q.fine[f] = (q.fine[f] as number) + 1
  }

  recordSlow(m: QueryMessage, durationMs: number): void {
    const fingerprint = typeof m.fingerprint === 'string' ? m.fingerprint : String(m.summary ?? '?')
    let s = this.slow.get(fingerprint)
    if (s === undefined) {
      if (this.slow.size >= this.slowLimit) {
        // keep the slowest: drop the entry with the smallest max if the new one is slower
        let victim: SlowQueryRecord | undefined
        for (const e of this.slow.values()) if (victim === undefined || e.maxMs < victim.maxMs) victim = e
        if (victim === undefined || victim.maxMs >= durationMs) return
        this.slow.delete(victim.fingerprint)
      }
      s = {
        fingerprint,
        summary: String(m.summary ?? ''),
        system: String(m.system ?? ''),
        database: String(m.database ?? ''),
        count: 0,
        lastMs: 0,
        maxMs: 0,
        lastAt: 0,
      }
      this.slow.set(fingerprint, s)
    }
    s.count++
    s.lastMs = durationMs
    s.lastAt = Date.now()
    if (durationMs > s.maxMs) s.maxMs = durationMs
    const code = m.error?.code
    if (code !== undefined) s.error = String(code)
  }

  snapshot(): { queries: QueryRecord[]; slow: SlowQueryRecord[] } {
    return {
      queries: [...this.queries.values()].map((q) => ({
        fingerprint: q.fingerprint,
        summary: q.summary,
        system: q.system,
        database: q.database,
        count: q.count,
        errors: q.errors,
        rows: q.rows,
        totalMs: q.totalMs,
        maxMs: q.maxMs,
        minSeconds: q.minSeconds,
        maxSeconds: q.maxMs / 1000,
        fine: toSparse(q.fine),
      })),
      slow: [...this.slow.values()].map((s) => ({ ...s })),
    }
  }
}

export function mergeQueryRecords(lists: QueryRecord[][]): QueryRecord[] {
  const out = new Map<string, QueryRecord>()
  for (const list of lists) {
    for (const q of list) {
      const e = out.get(q.fingerprint)
      if (e === undefined) {
        out.set(q.fingerprint, { ...q, fine: [...q.fine] })
        continue
      }
      e.count += q.count
      e.errors += q.errors
      e.rows += q.rows
      e.totalMs += q.totalMs
      e.maxMs = Math.max(e.maxMs, q.maxMs)
      e.minSeconds = Math.min(e.minSeconds, q.minSeconds)
      e.maxSeconds = Math.max(e.maxSeconds, q.maxSeconds)
      e.fine = mergeSparse(e.fine, q.fine)
    }
  }
  return [...out.values()]
}

export function mergeSlowRecords(lists: SlowQueryRecord[][]): SlowQueryRecord[] {
  const out = new Map<string, SlowQueryRecord>()
  for (const list of lists) {
    for (const s of list) {
      const e = out.get(s.fingerprint)
      if (e === undefined) {
        out.set(s.fingerprint, { ...s })
        continue
      }
      e.count += s.count
      e.maxMs = Math.max(e.maxMs, s.maxMs)
      if (s.lastAt > e.lastAt) {
        e.lastAt = s.lastAt
        e.lastMs = s.lastMs
      }
      if (s.error !== undefined) e.error = s.error
    }
  }
  return [...out.values()]
}
