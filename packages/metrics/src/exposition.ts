// The /metrics text: Prometheus 0.0.4 or OpenMetrics 1.0 (with exemplars), from collected ResourceMetrics.
// Same output as the OTel exporter's PrometheusSerializer, which rebuilds and re-escapes every label of a
// series for each of its ~16 bucket lines (2.6 s for 5,000 histogram series): here a series' labels are
// built once and names are sanitised once per scrape.
import type { Attributes as OtelAttributes } from '@opentelemetry/api'
import {
  DataPointType,
  type Histogram,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics'
import type { Exemplars } from './exemplars.ts'

export interface ExpositionOptions {
  prefix: string
  withoutScopeInfo: boolean
  withoutTargetInfo: boolean
  openMetrics: boolean
  exemplars?: Exemplars | undefined
}

const INVALID = /[^a-z0-9_]/gi
const UNDERSCORES = /_{2,}/g

const sanitized = new Map<string, string>()
/** Prometheus name of an OTel name or attribute key (as the OTel serializer does it), memoised. */
function sanitize(name: string): string {
  let s = sanitized.get(name)
  if (s === undefined) {
    s = name.replace(INVALID, '_').replace(UNDERSCORES, '_')
    if (sanitized.size < 10_000) sanitized.set(name, s)
  }
  return s
}

function escapeHelp(s: string, openMetrics: boolean): string {
  const e = s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
  return openMetrics ? e.replace(/"/g, '\\"') : e
}

function escapeValue(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v)
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

function labelsOf(attributes: OtelAttributes, extra: string): string {
  let out = ''
  for (const k in attributes) {
    const v = attributes[k]
    if (v === undefined) continue
    out += `${out === '' ? '' : ','}${sanitize(k)}="${escapeValue(v)}"`
  }
  if (extra !== '') out += out === '' ? extra : `,${extra}`
  return out
}

function num(v: number): string {
  return v === Number.POSITIVE_INFINITY ? '+Inf' : v === Number.NEGATIVE_INFINITY ? '-Inf' : String(v)
}

interface Family {
  help: string
  unit: string
  type: 'counter' | 'gauge' | 'histogram'
  lines: string[]
}

function typeOf(m: MetricData): Family['type'] {
  if (m.dataPointType === DataPointType.HISTOGRAM) return 'histogram'
  if (m.dataPointType === DataPointType.SUM && m.isMonotonic) return 'counter'
  return 'gauge'
}

function histogramLines(
  out: string[],
  name: string,
  labels: string,
  h: Histogram,
  exemplarsOf: ((i: number) => string) | undefined,
): void {
  const open = labels === '' ? '{' : `{${labels},`
  const braced = labels === '' ? '' : `{${labels}}`
  out.push(`${name}_count${braced} ${num(h.count)}`)
  if (h.sum !== undefined) out.push(`${name}_sum${braced} ${num(h.sum)}`)
  const { boundaries, counts } = h.buckets
  let cumulative = 0
  for (let i = 0; i < counts.length; i++) {
    cumulative += counts[i] as number
    const b = boundaries[i]
    if (b === undefined && i < counts.length - 1) break
    const le = b === undefined || b === Number.POSITIVE_INFINITY ? '+Inf' : String(b)
    out.push(`${name}_bucket${open}le="${le}"} ${cumulative}${exemplarsOf?.(i) ?? ''}`)
    if (b === Number.POSITIVE_INFINITY) break
  }
}

export function serialize(rm: ResourceMetrics, o: ExpositionOptions): string {
  const families = new Map<string, Family>()
  for (const scope of rm.scopeMetrics) {
    let extra = ''
    if (!o.withoutScopeInfo) {
      extra = `otel_scope_name="${escapeValue(scope.scope.name)}"`
      if (scope.scope.schemaUrl) extra += `,otel_scope_schema_url="${escapeValue(scope.scope.schemaUrl)}"`
      if (scope.scope.version) extra += `,otel_scope_version="${escapeValue(scope.scope.version)}"`
    }
    for (const m of scope.metrics) {
      let name = sanitize(m.descriptor.name)
      if (o.prefix !== '') name = `${o.prefix}_${name}`
      if (name === '' || name === '_') continue
      if (name[0] !== undefined && name[0] >= '0' && name[0] <= '9') name = `_${name}`
      const type = typeOf(m)
      if (type === 'counter' && !name.endsWith('_total')) name += '_total'
      let family = families.get(name)
      if (family === undefined) {
        family = { help: m.descriptor.description, unit: m.descriptor.unit, type, lines: [] }
        families.set(name, family)
      } else if (family.type !== type) {
        continue // the OTel serializer drops a conflicting type too
      }
      const lines = family.lines
      if (m.dataPointType === DataPointType.HISTOGRAM) {
        const found = o.openMetrics ? o.exemplars : undefined
        for (const p of m.dataPoints) {
          const ex = found?.bucketsOf(m.descriptor.name, p.attributes)
          histogramLines(lines, name, labelsOf(p.attributes, extra), p.value, ex)
        }
      } else {
        for (const p of m.dataPoints) {
          const labels = labelsOf(p.attributes, extra)
          lines.push(`${name}${labels === '' ? '' : `{${labels}}`} ${num(p.value as number)}`)
        }
      }
    }
  }
  const out: string[] = []
  if (!o.withoutTargetInfo) {
    out.push('# HELP target_info Target metadata', '# TYPE target_info gauge')
    const labels = labelsOf(rm.resource.attributes, '')
    out.push(`target_info${labels === '' ? '' : `{${labels}}`} 1`)
  }
  for (const [name, f] of families) {
    // OpenMetrics names a counter family without `_total`, and a UNIT must be the name's suffix: left out
    const family = o.openMetrics && f.type === 'counter' ? name.slice(0, -6) : name
    out.push(`# HELP ${family} ${escapeHelp(f.help || 'description missing', o.openMetrics)}`)
    if (!o.openMetrics && f.unit !== '') out.push(`# UNIT ${family} ${escapeHelp(f.unit, false)}`)
    out.push(`# TYPE ${family} ${f.type}`)
    for (const line of f.lines) out.push(line)
  }
  if (o.openMetrics) out.push('# EOF')
  return `${out.join('\n')}\n`
}
