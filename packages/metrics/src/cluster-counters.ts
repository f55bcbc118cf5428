// The primary's memory of every worker's counters, so merged counters never go backwards: a worker that
// does not answer (stopped, busy, slow) contributes its last counters and is marked stale; the counters of a
// worker that exited, or restarted from zero, are kept as "retired" and still add up.
import { type HrTime, ValueType } from '@opentelemetry/api'
import { AggregationTemporality, DataPointType, type Histogram } from '@opentelemetry/sdk-metrics'
import { canonicalKey } from './instruments.ts'
import { isAdditive, mergeProcesses, toWire, type WireMetric } from './otel-data.ts'

export const STALE_GAUGE = 'hotpath.cluster.worker.stale'

export interface ProcessMetrics {
  worker: string
  metrics: WireMetric[]
}

function pointValue(metric: WireMetric, value: unknown): number {
  return metric.dataPointType === DataPointType.HISTOGRAM ? (value as Histogram).count : (value as number)
}

/** True when `next` lost a series of `previous` or a series went down (the process restarted). */
function wentBack(previous: WireMetric[], next: WireMetric[]): boolean {
  const now = new Map<string, Map<string, number>>()
  for (const m of next) {
    const points = new Map<string, number>()
    for (const p of m.dataPoints) points.set(canonicalKey(p.attributes), pointValue(m, p.value))
    now.set(m.descriptor.name, points)
  }
  for (const m of previous) {
    const points = now.get(m.descriptor.name)
    for (const p of m.dataPoints) {
      const value = points?.get(canonicalKey(p.attributes))
      if (value === undefined || value < pointValue(m, p.value)) return true
    }
  }
  return false
}

export class ClusterCounters {
  private readonly last: Map<string, WireMetric[]> = new Map()
  private retired: WireMetric[] = []

  private retire(metrics: WireMetric[]): void {
    if (metrics.length === 0) return
    this.retired = toWire([
      mergeProcesses([
        { worker: 'retired', metrics: this.retired },
        { worker: 'retired', metrics },
      ]),
    ])
  }

  /**
   * The sources to merge for one scrape: the workers that answered (all their metrics), the last counters of
   * the workers that did not (`present` but not answered) and the retired counters; plus the stale gauge.
   */
  sources(
    answered: ProcessMetrics[],
    present: ReadonlySet<string>,
    now: HrTime,
  ): { sources: ProcessMetrics[]; stale: WireMetric } {
    const out: ProcessMetrics[] = []
    const staleness = new Map<string, number>()
    const seen = new Set<string>()
    for (const { worker, metrics } of answered) {
      seen.add(worker)
      const additive = metrics.filter(isAdditive)
      const previous = this.last.get(worker)
      if (previous !== undefined && wentBack(previous, additive)) this.retire(previous)
      this.last.set(worker, additive)
      out.push({ worker, metrics })
      staleness.set(worker, 0)
    }
    for (const [worker, metrics] of [...this.last]) {
      if (seen.has(worker)) continue
      if (present.has(worker)) {
        out.push({ worker, metrics })
        staleness.set(worker, 1)
      } else {
        this.retire(metrics)
        this.last.delete(worker)
      }
    }
    for (const worker of present) if (!staleness.has(worker)) staleness.set(worker, 1)
    if (this.retired.length > 0) out.push({ worker: 'retired', metrics: this.retired })
    const stale: WireMetric = {
      descriptor: {
        name: STALE_GAUGE,
        description:
          'Worker whose figures are its last known ones (1: it did not answer the last collection in time)',
        unit: '',
        valueType: ValueType.INT,
      },
      dataPointType: DataPointType.GAUGE,
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPoints: [...staleness]
        .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
        .map(([worker, value]) => ({ startTime: now, endTime: now, attributes: { worker }, value })),
    }
    return { sources: out, stale }
  }
}
