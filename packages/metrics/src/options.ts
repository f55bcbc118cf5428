// createMetrics() options, validated once.
import { MetricsOptionError } from './errors.ts'
import { DEFAULT_THRESHOLDS, resolveThresholds, type Thresholds } from './thresholds.ts'

export interface OtlpOptions {
  /** Collector endpoint, e.g. `http://127.0.0.1:4318/v1/metrics`. */
  url: string
  /** Push interval. Default 60000. */
  intervalMs?: number
  /** Deadline of one export. Default 10000 (capped at intervalMs). */
  timeoutMs?: number
  headers?: Record<string, string>
}

export interface RuntimeOptions {
  /** Window over which event-loop delay, ELU and CPU are measured. Default 5000. */
  sampleIntervalMs?: number
  /** Resolution of `monitorEventLoopDelay`. Default 10. */
  resolutionMs?: number
}

export interface ClusterOptions {
  /** Default: `worker` in a node:cluster worker, else `primary`. Use `worker` in a child_process.fork child. */
  role?: 'primary' | 'worker'
  /** How long the primary waits for workers' figures per scrape or report. Default 2000. */
  timeoutMs?: number
}

export interface PrometheusOptions {
  /** Prefix of every metric name. Default none. */
  prefix?: string
  /** Omit the `otel_scope_*` labels. Default false. */
  withoutScopeInfo?: boolean
  /** Omit the `target_info` metric. Default false. */
  withoutTargetInfo?: boolean
}

export interface MetricsOptions {
  /** `service.name`. Default `OTEL_SERVICE_NAME` or `unknown_service:node`. */
  serviceName?: string
  /** `service.instance.id`. Default a random UUID per process. */
  serviceInstanceId?: string
  /** More resource attributes (`deployment.environment.name`, `service.version`, ...). */
  resourceAttributes?: Record<string, string | number | boolean>
  prometheus?: PrometheusOptions
  /** Push to an OpenTelemetry Collector over OTLP/HTTP (JSON) as well. Default off. */
  otlp?: OtlpOptions
  /** Series per instrument before new attribute sets fold into `otel.metric.overflow=true`. Default 500. */
  cardinalityLimit?: number
  /** Runtime metrics (event loop, CPU, memory, GC). Default on. */
  runtime?: boolean | RuntimeOptions
  /** Recommendation thresholds. */
  thresholds?: Partial<Thresholds>
  /** Query fingerprints tracked for the report before the rest fold into one row. Default 500. */
  queryLimit?: number
  /** Slow statements kept for the report. Default 50. */
  slowQueryLimit?: number
  /** Rows of `report().queries.top`. Default 10. */
  topQueries?: number
  /** Merge node:cluster workers into the primary's /metrics and report. Default off. */
  cluster?: boolean | ClusterOptions
  /** Deadline of `close()` flushing exporters. Default 5000. */
  closeTimeoutMs?: number
}

export interface ResolvedOptions {
  serviceName: string
  serviceInstanceId: string | undefined
  resourceAttributes: Record<string, string | number | boolean>
  prometheus: Required<PrometheusOptions>
  otlp: { url: string; intervalMs: number; timeoutMs: number; headers: Record<string, string> } | undefined
  cardinalityLimit: number
  runtime: { sampleIntervalMs: number; resolutionMs: number } | undefined
  thresholds: Thresholds
  queryLimit: number
  slowQueryLimit: number
  topQueries: number
  cluster: { role: 'primary' | 'worker' | undefined; timeoutMs: number } | undefined
  closeTimeoutMs: number
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function int(name: string, v: unknown, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new MetricsOptionError(name, v, `an integer from ${min} to ${max}`)
  }
  return v
}

function str(name: string, v: unknown): string | undefined {
  if (v === undefined) return undefined
  if (typeof v !== 'string' || v.length === 0) throw new MetricsOptionError(name, v, 'a non-empty string')
  return v
}

function bool(name: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt
  if (typeof v !== 'boolean') throw new MetricsOptionError(name, v, 'a boolean')
  return v
}

export function resolveOptions(input: unknown): ResolvedOptions {
  const o = input ?? {}
  if (!isObject(o)) throw new MetricsOptionError('options', input, 'an object')
  const known = [
    'serviceName',
    'serviceInstanceId',
    'resourceAttributes',
    'prometheus',
    'otlp',
    'cardinalityLimit',
    'runtime',
    'thresholds',
    'queryLimit',
    'slowQueryLimit',
    'topQueries',
    'cluster',
    'closeTimeoutMs',
  ]
  for (const key of Object.keys(o)) {
    if (!known.includes(key))
      throw new MetricsOptionError(key, o[key], `a known option (${known.join(', ')})`)
  }

  const resourceAttributes: Record<string, string | number | boolean> = {}
  if (o.resourceAttributes !== undefined) {
    if (!isObject(o.resourceAttributes))
      throw new MetricsOptionError('resourceAttributes', o.resourceAttributes, 'an object')
    for (const [k, v] of Object.entries(o.resourceAttributes)) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        throw new MetricsOptionError(`resourceAttributes.${k}`, v, 'a string, number or boolean')
      }
      resourceAttributes[k] = v
    }
  }

  const p = o.prometheus ?? {}
  if (!isObject(p)) throw new MetricsOptionError('prometheus', o.prometheus, 'an object')
  const prefix = p.prefix === undefined ? '' : p.prefix
  if (typeof prefix !== 'string' || (prefix !== '' && !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(prefix))) {
    throw new MetricsOptionError('prometheus.prefix', p.prefix, 'a Prometheus name ([a-zA-Z_][a-zA-Z0-9_]*)')
  }

  let otlp: ResolvedOptions['otlp']
  if (o.otlp !== undefined) {
    if (!isObject(o.otlp))
      throw new MetricsOptionError('otlp', o.otlp, 'an object { url, intervalMs?, timeoutMs?, headers? }')
    const url = o.otlp.url
    let parsed: URL | undefined
    try {
      parsed = typeof url === 'string' ? new URL(url) : undefined
    } catch {
      parsed = undefined
    }
    if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      throw new MetricsOptionError('otlp.url', url, 'an http:// or https:// URL')
    }
    const intervalMs = int('otlp.intervalMs', o.otlp.intervalMs, 60_000, 100, 86_400_000)
    const timeoutMs = int('otlp.timeoutMs', o.otlp.timeoutMs, 10_000, 1, 600_000)
    const headers: Record<string, string> = {}
    if (o.otlp.headers !== undefined) {
      if (!isObject(o.otlp.headers))
        throw new MetricsOptionError('otlp.headers', o.otlp.headers, 'an object of strings')
      for (const [k, v] of Object.entries(o.otlp.headers)) {
        if (typeof v !== 'string') throw new MetricsOptionError(`otlp.headers.${k}`, v, 'a string')
        headers[k] = v
      }
    }
    otlp = { url: parsed.toString(), intervalMs, timeoutMs: Math.min(timeoutMs, intervalMs), headers }
  }

  let runtime: ResolvedOptions['runtime']
  if (o.runtime === undefined || o.runtime === true) runtime = { sampleIntervalMs: 5000, resolutionMs: 10 }
  else if (o.runtime === false) runtime = undefined
  else if (isObject(o.runtime)) {
    runtime = {
      sampleIntervalMs: int('runtime.sampleIntervalMs', o.runtime.sampleIntervalMs, 5000, 10, 3_600_000),
      resolutionMs: int('runtime.resolutionMs', o.runtime.resolutionMs, 10, 1, 1000),
    }
  } else
    throw new MetricsOptionError('runtime', o.runtime, 'a boolean or { sampleIntervalMs?, resolutionMs? }')

  let cluster: ResolvedOptions['cluster']
  if (o.cluster === undefined || o.cluster === false) cluster = undefined
  else if (o.cluster === true) cluster = { role: undefined, timeoutMs: 2000 }
  else if (isObject(o.cluster)) {
    const role = o.cluster.role
    if (role !== undefined && role !== 'primary' && role !== 'worker') {
      throw new MetricsOptionError('cluster.role', role, "'primary' or 'worker'")
    }
    cluster = { role, timeoutMs: int('cluster.timeoutMs', o.cluster.timeoutMs, 2000, 1, 600_000) }
  } else throw new MetricsOptionError('cluster', o.cluster, 'a boolean or { role?, timeoutMs? }')

  return {
    serviceName: str('serviceName', o.serviceName) ?? process.env.OTEL_SERVICE_NAME ?? 'unknown_service:node',
    serviceInstanceId: str('serviceInstanceId', o.serviceInstanceId),
    resourceAttributes,
    prometheus: {
      prefix,
      withoutScopeInfo: bool('prometheus.withoutScopeInfo', p.withoutScopeInfo, false),
      withoutTargetInfo: bool('prometheus.withoutTargetInfo', p.withoutTargetInfo, false),
    },
    otlp,
    cardinalityLimit: int('cardinalityLimit', o.cardinalityLimit, 500, 1, 100_000),
    runtime,
    thresholds: resolveThresholds({ ...DEFAULT_THRESHOLDS }, o.thresholds, 'thresholds'),
    queryLimit: int('queryLimit', o.queryLimit, 500, 1, 100_000),
    slowQueryLimit: int('slowQueryLimit', o.slowQueryLimit, 50, 1, 10_000),
    topQueries: int('topQueries', o.topQueries, 10, 1, 10_000),
    cluster,
    closeTimeoutMs: int('closeTimeoutMs', o.closeTimeoutMs, 5000, 1, 600_000),
  }
}
