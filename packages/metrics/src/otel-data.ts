// Conversions between the pre-aggregated registry, OpenTelemetry MetricData and the plain JSON sent over IPC.
import { type HrTime, ValueType } from '@opentelemetry/api'
import {
  AggregationTemporality,
  DataPointType,
  type Histogram,
  type MetricData,
  type ScopeMetrics,
} from '@opentelemetry/sdk-metrics'
import { type Attributes, canonicalKey } from './instruments.ts'
import type { FamilySnapshot } from './registry.ts'
import { SCOPE } from './scope.ts'

export function hrTimeFromMs(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000)
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)]
}

/** The registry's families as one OpenTelemetry scope (cumulative temporality). */
export function familiesToScopeMetrics(
  families: FamilySnapshot[],
  startTime: HrTime,
  endTime: HrTime,
): ScopeMetrics {
  const metrics: MetricData[] = []
  for (const family of families) {
    const descriptor = {
      name: family.name,
      description: family.description,
      unit: family.unit,
      valueType: family.type === 'counter' ? ValueType.INT : ValueType.DOUBLE,
    }
    if (family.type === 'counter') {
      if (family.series.length === 0) continue
      metrics.push({
        descriptor,
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPointType: DataPointType.SUM,
        isMonotonic: true,
        dataPoints: family.series.map((s) => ({
          startTime,
          endTime,
          attributes: s.attributes,
          value: s.value,
        })),
      })
    } else {
      if (family.series.length === 0) continue
      metrics.push({
        descriptor,
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPointType: DataPointType.HISTOGRAM,
        dataPoints: family.series.map((s) => ({
          startTime,
          endTime,
          attributes: s.attributes,
          value: {
            buckets: { boundaries: [...family.boundaries], counts: [...s.counts] },
            sum: s.sum,
            count: s.count,
            min: s.min,
            max: s.max,
          },
        })),
      })
    }
  }
  return { scope: SCOPE, metrics }
}

/** Plain-JSON form of collected metrics, for IPC. */
export interface WireMetric {
  descriptor: { name: string; description: string; unit: string; valueType: number }
  dataPointType: number
  aggregationTemporality: number
  isMonotonic?: boolean
  dataPoints: Array<{ startTime: HrTime; endTime: HrTime; attributes: Attributes; value: unknown }>
}

export function toWire(scopes: ScopeMetrics[]): WireMetric[] {
  const out: WireMetric[] = []
  for (const scope of scopes) {
    for (const m of scope.metrics) {
      const wire: WireMetric = {
        descriptor: {
          name: m.descriptor.name,
          description: m.descriptor.description,
          unit: m.descriptor.unit,
          valueType: m.descriptor.valueType,
        },
        dataPointType: m.dataPointType,
        aggregationTemporality: m.aggregationTemporality,
        dataPoints: (
          m.dataPoints as Array<{ startTime: HrTime; endTime: HrTime; attributes: object; value: unknown }>
        ).map((p) => ({
          startTime: p.startTime,
          endTime: p.endTime,
          attributes: p.attributes as Attributes,
          value: p.value,
        })),
      }
      if (m.dataPointType === DataPointType.SUM) wire.isMonotonic = m.isMonotonic
      out.push(wire)
    }
  }
  return out
}

export function isAdditive(m: WireMetric): boolean {
  return (
    (m.dataPointType === DataPointType.SUM && m.isMonotonic === true) ||
    m.dataPointType === DataPointType.HISTOGRAM
  )
}

function earlier(a: HrTime, b: HrTime): HrTime {
  return a[0] < b[0] || (a[0] === b[0] && a[1] <= b[1]) ? a : b
}

function later(a: HrTime, b: HrTime): HrTime {
  return earlier(a, b) === a ? b : a
}

function addHistograms(a: Histogram, b: Histogram): Histogram | undefined {
  const ab = a.buckets.boundaries
  const bb = b.buckets.boundaries
  if (ab.length !== bb.length || ab.some((v, i) => v !== bb[i])) return undefined
  return {
    buckets: { boundaries: [...ab], counts: a.buckets.counts.map((c, i) => c + (b.buckets.counts[i] ?? 0)) },
    sum: (a.sum ?? 0) + (b.sum ?? 0),
    count: a.count + b.count,
    min: Math.min(a.min ?? Number.POSITIVE_INFINITY, b.min ?? Number.POSITIVE_INFINITY),
    max: Math.max(a.max ?? Number.NEGATIVE_INFINITY, b.max ?? Number.NEGATIVE_INFINITY),
  }
}

/**
 * Merges the metrics of several processes into one scope. Events (monotonic sums, histograms) with equal
 * attributes add up; states (gauges, up-down sums) stay apart under a `worker` attribute.
 */
export function mergeProcesses(sources: Array<{ worker: string; metrics: WireMetric[] }>): ScopeMetrics {
  const byName = new Map<
    string,
    { metric: WireMetric; points: Map<string, WireMetric['dataPoints'][number]> }
  >()
  for (const { worker, metrics } of sources) {
    for (const m of metrics) {
      let entry = byName.get(m.descriptor.name)
      if (entry === undefined) {
        entry = { metric: { ...m, dataPoints: [] }, points: new Map() }
        byName.set(m.descriptor.name, entry)
      } else if (
        entry.metric.dataPointType !== m.dataPointType ||
        isAdditive(entry.metric) !== isAdditive(m)
      ) {
        continue
      }
      const additive = isAdditive(m)
      for (const p of m.dataPoints) {
        const attributes = additive ? p.attributes : { ...p.attributes, worker }
        const key = canonicalKey(attributes)
        const existing = entry.points.get(key)
        if (existing === undefined) {
          entry.points.set(key, { ...p, attributes })
          continue
        }
        let value: unknown
        if (m.dataPointType === DataPointType.HISTOGRAM) {
          value = addHistograms(existing.value as Histogram, p.value as Histogram)
          if (value === undefined) {
            const apart = { ...p.attributes, worker }
            entry.points.set(canonicalKey(apart), { ...p, attributes: apart })
            continue
          }
        } else if (additive) {
          value = (existing.value as number) + (p.value as number)
        } else {
          value = p.value
        }
        entry.points.set(key, {
          startTime: earlier(existing.startTime, p.startTime),
          endTime: later(existing.endTime, p.endTime),
          attributes,
          value,
        })
      }
    }
  }
  const metrics = [...byName.values()].map(({ metric, points }) => ({
    ...metric,
    dataPoints: [...points.values()],
  }))
  return { scope: SCOPE, metrics: metrics as unknown as MetricData[] }
}

/**
 * Names that Prometheus lint rejects as they are (`*_count` on a gauge reads like a histogram part): the
 * exposition uses the previous semantic-convention name instead. OTLP keeps the current names.
 */
export const PROMETHEUS_RENAMES: Readonly<Record<string, string>> = Object.freeze({
  'db.client.connection.count': 'db.client.connections.usage',
})

/** Unit suffixes as the OpenTelemetry Prometheus exporter's spec (metrics/compatibility/prometheus_and_openmetrics) adds them. */
const UNIT_SUFFIXES: Readonly<Record<string, string>> = Object.freeze({ s: 'seconds', By: 'bytes' })

/** The Prometheus name of an instrument: renames, then `_seconds` / `_bytes` from its unit. */
export function prometheusName(name: string, unit: string): string {
  if (name === 'process.start_time') return 'process.start_time_seconds' // the Prometheus standard name
  const renamed = PROMETHEUS_RENAMES[name] ?? name
  const suffix = UNIT_SUFFIXES[unit]
  if (suffix === undefined || renamed.endsWith(`.${suffix}`) || renamed.endsWith(`_${suffix}`)) return renamed
  return `${renamed}_${suffix}`
}

export function renameForPrometheus(scopes: ScopeMetrics[]): ScopeMetrics[] {
  return scopes.map((scope) => ({
    scope: scope.scope,
    metrics: scope.metrics.map((m) => {
      const name = prometheusName(m.descriptor.name, m.descriptor.unit)
      return name === m.descriptor.name ? m : ({ ...m, descriptor: { ...m.descriptor, name } } as MetricData)
    }),
  }))
}
