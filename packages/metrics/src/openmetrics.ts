// The OpenMetrics 1.0 exposition, negotiated on Accept: the Prometheus 0.0.4 text of the OTel serializer
// rewritten where the formats differ (counter families named without `_total`, no `# UNIT` lines that do not
// match the name's suffix, `"` escaped in HELP, `# EOF`), with exemplars on histogram buckets.
import type { Exemplars } from './exemplars.ts'
import type { Attributes } from './instruments.ts'
import { prometheusName } from './otel-data.ts'

export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8'

/** True when Accept ranks OpenMetrics above the plain text format (Prometheus asks for it first). */
export function prefersOpenMetrics(accept: string | undefined): boolean {
  if (accept === undefined) return false
  let om = -1
  let text = -1
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.split(';').map((s) => s.trim())
    const qParam = params.find((p) => p.startsWith('q='))
    const q = qParam === undefined ? 1 : Number(qParam.slice(2))
    if (!Number.isFinite(q)) continue
    if (type === 'application/openmetrics-text') om = Math.max(om, q)
    else if (type === 'text/plain' || type === '*/*') text = Math.max(text, q)
  }
  return om > 0 && om >= text
}

const LABEL_RE = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g
const BUCKET_RE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)_bucket\{(.*)\} (\S+)$/

function escapeValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

function sanitize(name: string): string {
  return name.replace(/[^a-zA-Z0-9_:]/g, '_')
}

/** Labels of one series as the serializer prints them, without `le` and the scope labels. */
function keyOfAttributes(attributes: Attributes): string {
  return Object.entries(attributes)
    .map(([k, v]) => `${sanitize(k)}="${escapeValue(String(v))}"`)
    .sort()
    .join(',')
}

function keyOfLabels(labels: string): { key: string; le: string | undefined } {
  const out: string[] = []
  let le: string | undefined
  for (const m of labels.matchAll(LABEL_RE)) {
    const name = m[1] as string
    if (name === 'le') le = m[2]
    else if (name !== 'otel_scope_name' && name !== 'otel_scope_version') out.push(`${name}="${m[2]}"`)
  }
  return { key: out.sort().join(','), le }
}

export function toOpenMetrics(text: string, prefix: string, exemplars: Exemplars | undefined): string {
  const index = new Map<string, { boundaries: readonly number[]; buckets: ReadonlyArray<unknown> }>()
  for (const e of exemplars?.list() ?? []) {
    const name = sanitize(prometheusName(e.family.name, e.family.unit))
    const family = prefix === '' ? name : `${prefix}_${name}`
    index.set(`${family}\u0000${keyOfAttributes(e.attributes)}`, {
      boundaries: e.family.boundaries,
      buckets: e.buckets,
    })
  }
  const out: string[] = []
  const help = new Map<string, string>()
  for (const line of text.split('\n')) {
    if (line === '') continue
    if (line.startsWith('# HELP ')) {
      const at = line.indexOf(' ', 7)
      help.set(line.slice(7, at), line.slice(at + 1))
      continue
    }
    if (line.startsWith('# UNIT ')) continue
    if (line.startsWith('# TYPE ')) {
      const [name = '', type = ''] = line.slice(7).split(' ')
      const family = type === 'counter' && name.endsWith('_total') ? name.slice(0, -6) : name
      const h = help.get(name)
      if (h !== undefined) out.push(`# HELP ${family} ${h.replace(/(^|[^\\])"/g, '$1\\"')}`)
      out.push(`# TYPE ${family} ${type}`)
      continue
    }
    const m = index.size > 0 ? BUCKET_RE.exec(line) : null
    if (m !== null) {
      const { key, le } = keyOfLabels(m[2] as string)
      const found = index.get(`${m[1]}\u0000${key}`)
      if (found !== undefined && le !== undefined) {
        const i = le === '+Inf' ? found.boundaries.length : found.boundaries.indexOf(Number(le))
        const ex = found.buckets[i] as
          | { traceId: string; spanId: string; value: number; timestamp: number }
          | undefined
        if (ex !== undefined) {
          out.push(
            `${line} # {trace_id="${ex.traceId}",span_id="${ex.spanId}"} ${ex.value} ${ex.timestamp.toFixed(3)}`,
          )
          continue
        }
      }
    }
    out.push(line)
  }
  out.push('# EOF')
  return `${out.join('\n')}\n`
}
