// createMetrics() options, validated once.
import { type Clock, systemClock } from '@hotpath/core'
import type { MeterProvider, TracerProvider } from '@opentelemetry/api'
import { check } from './errors.ts'
import { type ResolvedStandard, resolveStandard, type StandardInstrumentsOptions } from './standard.ts'
import { DEFAULT_THRESHOLDS, resolveThresholds, type Thresholds } from './thresholds.ts'

export interface OtlpOptions {
  /** Collector endpoint, e.g. `http://127.0.0.1:4318/v1/metrics`. */
  url: string
  /** Push interval (ms). Default 60000. */
  interval?: number
  /** Deadline of one export (ms). Default 10000 (capped at `interval`). */
  timeout?: number
  headers?: Record<string, string>
}

export interface RuntimeOptions {
  /** Window (ms) over which event-loop delay, ELU and CPU are measured. Default 5000. */
  sampleInterval?: number
  /** Resolution (ms) of `monitorEventLoopDelay`. Default 10. */
  resolution?: number
}

export interface ClusterOptions {
  /** Default: `worker` in a node:cluster worker, else `primary`. Use `worker` in a child_process.fork child. */
  role?: 'primary' | 'worker'
  /** How long (ms) the primary waits for workers' figures per scrape or report. Default 2000. */
  timeout?: number
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
  /** Deadline (ms) of `close()` flushing exporters. Default 5000. */
  closeTimeout?: number
  /** Window (ms) over which the report's recommendations judge the figures. Default 60000. */
  recommendationWindow?: number
  /** Time source of windows and report stamps. Default the system clock. */
  clock?: Clock
  /**
   * Your OpenTelemetry MeterProvider, a function returning it, or `'global'` (the one registered with
   * `@opentelemetry/api`): no SDK of our own is created; add `metrics.producer` to your reader's
   * `metricProducers`. Read at first use (instrument, observe, a collection). Default: our own.
   */
  meterProvider?: MeterProvider | 'global' | (() => MeterProvider)
  /**
   * Export of the semantic-convention instruments an OTel contrib instrumentation also publishes
   * (`true`, `false`, `'auto'`: not while that instrumentation is active). Default `'auto'` for each.
   */
  standardInstruments?: StandardInstrumentsOptions
  /**
   * Spans of HTTP requests, queries and cache factories through your TracerProvider (a function returning
   * it, or `'global'`: the one registered with `@opentelemetry/api`). Default off.
   */
  tracerProvider?: TracerProvider | 'global' | (() => TracerProvider)
  /**
   * Exemplars (trace and span id of a sampled span active at the measurement) on the latency histograms, in
   * the OpenMetrics exposition. Default: on when `tracerProvider` is set.
   */
  exemplars?: boolean
}

export interface ResolvedOptions {
  serviceName: string
  serviceInstanceId: string | undefined
  resourceAttributes: Record<string, string | number | boolean>
  prometheus: Required<PrometheusOptions>
  otlp: { url: string; interval: number; timeout: number; headers: Record<string, string> } | undefined
  cardinalityLimit: number
  runtime: { sampleInterval: number; resolution: number } | undefined
  thresholds: Thresholds
  queryLimit: number
  slowQueryLimit: number
  topQueries: number
  cluster: { role: 'primary' | 'worker' | undefined; timeout: number } | undefined
  closeTimeout: number
  recommendationWindow: number
  clock: Clock
  meterProvider: MeterProvider | 'global' | (() => MeterProvider) | undefined
  standardInstruments: ResolvedStandard
  tracerProvider: TracerProvider | 'global' | (() => TracerProvider) | undefined
  exemplars: boolean
}

const KNOWN: readonly string[] = [
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
  'closeTimeout',
  'recommendationWindow',
  'clock',
  'meterProvider',
  'standardInstruments',
  'tracerProvider',
  'exemplars',
]

function resolveTracerOption(v: unknown): ResolvedOptions['tracerProvider'] {
  if (v === undefined || v === 'global' || typeof v === 'function')
    return v as ResolvedOptions['tracerProvider']
  if (typeof v !== 'object' || v === null || typeof (v as TracerProvider).getTracer !== 'function') {
    check.fail(
      'tracerProvider',
      v,
      "an OpenTelemetry TracerProvider (getTracer), a function returning one, or 'global'",
    )
  }
  return v as TracerProvider
}

/** Options that configure our own SDK's resource and readers: meaningless with the user's provider. */
const OWN_SDK_ONLY: readonly string[] = ['serviceName', 'serviceInstanceId', 'resourceAttributes', 'otlp']

function resolveMeterProvider(o: Record<string, unknown>): ResolvedOptions['meterProvider'] {
  const v = o.meterProvider
  if (v === undefined) return undefined
  const isProvider =
    typeof v === 'object' && v !== null && typeof (v as MeterProvider).getMeter === 'function'
  if (v !== 'global' && typeof v !== 'function' && !isProvider) {
    check.fail(
      'meterProvider',
      v,
      "an OpenTelemetry MeterProvider (getMeter), a function returning one, or 'global'",
    )
  }
  for (const key of OWN_SDK_ONLY) {
    if (o[key] !== undefined) {
      check.fail(key, o[key], "nothing with meterProvider (the resource and readers are your provider's)")
    }
  }
  return v as ResolvedOptions['meterProvider']
}

function resolveOtlp(input: unknown): ResolvedOptions['otlp'] {
  const o = check.object('otlp', input, ['url', 'interval', 'timeout', 'headers'])
  if (o === undefined) return undefined
  const url = o.url
  let parsed: URL | undefined
  try {
    parsed = typeof url === 'string' ? new URL(url) : undefined
  } catch {
    parsed = undefined
  }
  if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    check.fail('otlp.url', url, 'an http:// or https:// URL')
  }
  const interval = check.integer('otlp.interval', o.interval, 60_000, 100, 86_400_000)
  const timeout = check.integer('otlp.timeout', o.timeout, 10_000, 1, 600_000)
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(check.object('otlp.headers', o.headers) ?? {})) {
    if (typeof v !== 'string') check.fail(`otlp.headers.${k}`, v, 'a string')
    headers[k] = v as string
  }
  return { url: parsed.toString(), interval, timeout: Math.min(timeout, interval), headers }
}

function resolveRuntime(input: unknown): ResolvedOptions['runtime'] {
  if (input === undefined || input === true) return { sampleInterval: 5000, resolution: 10 }
  if (input === false) return undefined
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    check.fail('runtime', input, 'a boolean or { sampleInterval?, resolution? }')
  }
  const r = check.object('runtime', input, ['sampleInterval', 'resolution']) ?? {}
  return {
    sampleInterval: check.integer('runtime.sampleInterval', r.sampleInterval, 5000, 10, 3_600_000),
    resolution: check.integer('runtime.resolution', r.resolution, 10, 1, 1000),
  }
}

function resolveCluster(input: unknown): ResolvedOptions['cluster'] {
  if (input === undefined || input === false) return undefined
  if (input === true) return { role: undefined, timeout: 2000 }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    check.fail('cluster', input, 'a boolean or { role?, timeout? }')
  }
  const c = check.object('cluster', input, ['role', 'timeout']) ?? {}
  return {
    role: check.oneOf('cluster.role', c.role, ['primary', 'worker']),
    timeout: check.integer('cluster.timeout', c.timeout, 2000, 1, 600_000),
  }
}

export function resolveOptions(input: unknown): ResolvedOptions {
  const o = check.object('options', input ?? {}) ?? {}
  for (const key of Object.keys(o)) {
    if (!KNOWN.includes(key)) check.fail(key, o[key], `no such option (known: ${KNOWN.join(', ')})`)
  }

  const resourceAttributes: Record<string, string | number | boolean> = {}
  for (const [k, v] of Object.entries(check.object('resourceAttributes', o.resourceAttributes) ?? {})) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      check.fail(`resourceAttributes.${k}`, v, 'a string, number or boolean')
    }
    resourceAttributes[k] = v
  }

  const p =
    check.object('prometheus', o.prometheus, ['prefix', 'withoutScopeInfo', 'withoutTargetInfo']) ?? {}
  const prefix = p.prefix === undefined ? '' : p.prefix
  if (typeof prefix !== 'string' || (prefix !== '' && !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(prefix))) {
    check.fail('prometheus.prefix', p.prefix, 'a Prometheus name ([a-zA-Z_][a-zA-Z0-9_]*)')
  }

  return {
    serviceName:
      check.string('serviceName', o.serviceName) ?? process.env.OTEL_SERVICE_NAME ?? 'unknown_service:node',
    serviceInstanceId: check.string('serviceInstanceId', o.serviceInstanceId),
    resourceAttributes,
    prometheus: {
      prefix,
      withoutScopeInfo: check.boolean('prometheus.withoutScopeInfo', p.withoutScopeInfo, false),
      withoutTargetInfo: check.boolean('prometheus.withoutTargetInfo', p.withoutTargetInfo, false),
    },
    otlp: resolveOtlp(o.otlp),
    cardinalityLimit: check.integer('cardinalityLimit', o.cardinalityLimit, 500, 1, 100_000),
    runtime: resolveRuntime(o.runtime),
    thresholds: resolveThresholds({ ...DEFAULT_THRESHOLDS }, o.thresholds, 'thresholds'),
    queryLimit: check.integer('queryLimit', o.queryLimit, 500, 1, 100_000),
    slowQueryLimit: check.integer('slowQueryLimit', o.slowQueryLimit, 50, 1, 10_000),
    topQueries: check.integer('topQueries', o.topQueries, 10, 1, 10_000),
    cluster: resolveCluster(o.cluster),
    closeTimeout: check.integer('closeTimeout', o.closeTimeout, 5000, 1, 600_000),
    recommendationWindow: check.integer(
      'recommendationWindow',
      o.recommendationWindow,
      60_000,
      1000,
      86_400_000,
    ),
    clock: o.clock === undefined ? systemClock : check.clock('clock', o.clock),
    meterProvider: resolveMeterProvider(o),
    standardInstruments: resolveStandard(o.standardInstruments),
    tracerProvider: resolveTracerOption(o.tracerProvider),
    exemplars: check.boolean('exemplars', o.exemplars, o.tracerProvider !== undefined),
  }
}
