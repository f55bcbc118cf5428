// Content negotiation of /metrics: OpenMetrics 1.0 (with exemplars) when Accept prefers it, as Prometheus does.

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
