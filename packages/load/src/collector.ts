// Merges per-second snapshots of one or more engines into the time series, the whole-run histogram and totals.
import { addHistogram, createHistogram, decodeHistogram, type Histogram, summarize } from './histogram.ts'
import { NameTotals } from './name-stats.ts'
import type { LoadProgress, TimeseriesPoint } from './result.ts'
import type { TickSnapshot } from './tick.ts'

interface Pending {
  parts: number
  requests: number
  sent: number
  late: number
  dropped: number
  errors: number
  bytes: number
  inFlight: number
  elapsedMs: number
  /** The second's latencies: the first part's own histogram, the other engines' parts added into it. */
  hist: Histogram | null
}

export class Collector {
  readonly total: Histogram = createHistogram()
  readonly totalSent: Histogram = createHistogram()
  /** Per-name totals (scenario runs), from the engines' final snapshots. */
  readonly names: NameTotals = new NameTotals()
  /** Protocols the connections spoke (from the final snapshots). */
  readonly protocols: Set<string> = new Set()
  lateGenerator = 0
  /** Worst of the engines' event-loop delay figures, ms. */
  loopDelayMs = { p50: 0, p99: 0, max: 0 }
  /** The engines' thread CPU time in all, ms; the highest share of its run an engine's loop was busy / on CPU. */
  cpuMs = 0
  busyShare = 0
  cpuShare = 0
  readonly timeseries: TimeseriesPoint[] = []
  readonly statusCodes: Record<string, number> = {}
  readonly errors: Record<string, number> = {}
  sent = 0
  completed = 0
  responses = 0
  ok = 0
  errorCount = 0
  bytes = 0
  late = 0
  dropped = 0
  cancelled = 0
  sendWindowMs = 0
  elapsedMs = 0
  private readonly engines: number
  private readonly durationMs: number
  private readonly onProgress: ((p: LoadProgress) => void) | undefined
  private pending = new Map<number, Pending>()
  private flushedRequests = 0
  private flushedErrors = 0
  /** Per engine: the last second it reported, and whether it finished. */
  private readonly reported: number[]
  private readonly finished: boolean[]

  constructor(engines: number, durationMs: number, onProgress?: (p: LoadProgress) => void) {
    this.engines = engines
    this.durationMs = durationMs
    this.onProgress = onProgress
    this.reported = new Array<number>(engines).fill(-1)
    this.finished = new Array<boolean>(engines).fill(false)
  }

  /** A second is complete once every engine reported it (or a later one), or finished. */
  private complete(second: number): boolean {
    for (let e = 0; e < this.engines; e++) if (!this.finished[e] && this.reported[e]! < second) return false
    return true
  }

  add(snap: TickSnapshot): void {
    const h = typeof snap.histogram === 'string' ? decodeHistogram(snap.histogram) : snap.histogram
    addHistogram(this.total, h)
    addHistogram(
      this.totalSent,
      typeof snap.histogramSent === 'string' ? decodeHistogram(snap.histogramSent) : snap.histogramSent,
    )
    this.lateGenerator += snap.lateGenerator
    if (snap.names !== null) this.names.add(snap.names)
    for (const p of snap.protocols) this.protocols.add(p)
    const health = snap.health
    if (health !== null) {
      const l = this.loopDelayMs
      l.p50 = Math.max(l.p50, health.loopDelayMs.p50)
      l.p99 = Math.max(l.p99, health.loopDelayMs.p99)
      l.max = Math.max(l.max, health.loopDelayMs.max)
      const wall = Math.max(1, health.wallMs)
      this.cpuMs += health.cpuMs
      this.busyShare = Math.max(this.busyShare, health.busyMs / wall)
      this.cpuShare = Math.max(this.cpuShare, health.cpuMs / wall)
    }
    let errors = 0
    for (const [code, n] of Object.entries(snap.errors)) {
      this.errors[code] = (this.errors[code] ?? 0) + n
      errors += n
    }
    for (const [code, n] of Object.entries(snap.statusCodes))
      this.statusCodes[code] = (this.statusCodes[code] ?? 0) + n
    // Dropped sends are errors that never completed: counted in errors, not in completed.
    this.sent += snap.sent
    this.completed += snap.requests
    this.responses += snap.responses
    this.ok += snap.ok
    this.errorCount += errors
    this.bytes += snap.bytes
    this.late += snap.late
    this.dropped += snap.dropped
    this.cancelled += snap.cancelled
    if (snap.elapsedMs > this.elapsedMs) this.elapsedMs = snap.elapsedMs
    if (snap.final) {
      this.finished[snap.engine] = true
      if (snap.sendWindowMs > this.sendWindowMs) this.sendWindowMs = snap.sendWindowMs
    }
    let p = this.pending.get(snap.second)
    if (!p) {
      p = {
        parts: 0,
        requests: 0,
        sent: 0,
        late: 0,
        dropped: 0,
        errors: 0,
        bytes: 0,
        inFlight: 0,
        elapsedMs: 0,
        hist: null,
      }
      this.pending.set(snap.second, p)
    }
    p.parts++
    if (snap.second > this.reported[snap.engine]!) this.reported[snap.engine] = snap.second
    p.requests += snap.requests
    p.sent += snap.sent
    p.late += snap.late
    p.dropped += snap.dropped
    p.errors += errors
    p.bytes += snap.bytes
    p.inFlight += snap.inFlight
    if (snap.elapsedMs > p.elapsedMs) p.elapsedMs = snap.elapsedMs
    if (p.hist === null) p.hist = h
    else addHistogram(p.hist, h)
    // A second is complete when every engine reported it (or finished before it).
    this.flush()
    // An in-process snapshot's histogram is the engine's own, reset after this call: keep a copy if still pending.
    if (p.hist === h && typeof snap.histogram !== 'string' && this.pending.get(snap.second) === p) {
      p.hist = createHistogram()
      addHistogram(p.hist, h)
    }
  }

  private flush(): void {
    const seconds = [...this.pending.keys()].sort((a, b) => a - b)
    for (const second of seconds) {
      const p = this.pending.get(second)!
      if (!this.complete(second)) break
      this.pending.delete(second)
      this.flushedRequests += p.requests
      this.flushedErrors += p.errors
      const s = summarize(p.hist!)
      const last = this.timeseries.at(-1)
      if (last && last.second === second + 1) {
        // A final partial snapshot for a second already flushed: fold it in (approximate percentiles).
        last.requests += p.requests
        last.sent += p.sent
        last.late += p.late
        last.dropped += p.dropped
        last.errors += p.errors
        last.bytes += p.bytes
        last.max = Math.max(last.max, s.max)
        last.durationMs = Math.max(last.durationMs, covered(p.elapsedMs, second))
        continue
      }
      this.timeseries.push({
        second: second + 1,
        durationMs: covered(p.elapsedMs, second),
        requests: p.requests,
        sent: p.sent,
        late: p.late,
        dropped: p.dropped,
        errors: p.errors,
        bytes: p.bytes,
        p50: s.p50,
        p90: s.p90,
        p99: s.p99,
        max: s.max,
      })
      this.onProgress?.({
        elapsedMs: Math.min(this.durationMs, (second + 1) * 1000),
        durationMs: this.durationMs,
        requests: this.flushedRequests,
        errors: this.flushedErrors,
        rps: p.requests,
        p99: s.p99,
        inFlight: p.inFlight,
      })
    }
  }
}

function covered(elapsedMs: number, second: number): number {
  return Math.round(Math.min(1000, Math.max(1, elapsedMs - second * 1000)))
}
