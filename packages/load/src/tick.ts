// What an engine reports once per second (and once at the end) to the collector.
import type { HealthFigures } from './generator-health.ts'
import type { Histogram } from './histogram.ts'
import type { NameSnapshot } from './name-stats.ts'

export interface TickSnapshot {
  /** Index of the engine (worker) that sent it. */
  engine: number
  /** 0-based index of the second since the run's start this snapshot covers. */
  second: number
  /** Last snapshot of this engine. */
  final: boolean
  /** Responses and errors completed in the second. */
  requests: number
  /** Responses received in the second (any status; transport errors excluded). */
  responses: number
  /** Responses that passed their checks (no HTTP >= 400 unless expected, body check held). */
  ok: number
  /** Response body bytes received in the second. */
  bytes: number
  errors: Record<string, number>
  statusCodes: Record<string, number>
  /** Requests sent in the second. */
  sent: number
  late: number
  dropped: number
  cancelled: number
  /** Latencies of the second: in-process the engine's own histogram (valid during the onTick call only), from a worker its compressed base64 form. */
  histogram: Histogram | string
  /** Send-to-response latencies of the second (same encoding as histogram). */
  histogramSent: Histogram | string
  /** Late sends that had a free connection (the generator was late). */
  lateGenerator: number
  /** This engine's health over the run: event-loop delay, busy and CPU time (final snapshot only, else null). */
  health: HealthFigures | null
  inFlight: number
  /** Engine time since start in ms at the snapshot. */
  elapsedMs: number
  /** Length of the sending window actually used, ms (final snapshot only, else 0). */
  sendWindowMs: number
  /** Per-name totals of the whole run (final snapshot of a scenario run only, else null). */
  names: Record<string, NameSnapshot> | null
  /** Protocols the engine's connections spoke (final snapshot only, else []). */
  protocols: string[]
}
