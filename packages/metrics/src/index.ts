// Public API of @hotpath/metrics.
export { DB_DURATION_BUCKETS, GC_DURATION_BUCKETS, HTTP_DURATION_BUCKETS } from './buckets.ts'
export type { Peer } from './cluster.ts'
export { HotpathError, type HotpathErrorOptions, InvalidOptionError, isHotpathError } from '@hotpath/core'
export { errorCodes, type MetricsErrorCode } from './error-codes.ts'
export { MetricsClosedError, MetricsObserveError, OtlpExporterMissingError } from './errors.ts'
export type { Attributes, AttributeValue } from './instruments.ts'
export {
  type Counter,
  type CounterFamily,
  createMetrics,
  type Histogram,
  type HistogramFamily,
  type HistogramDefinition,
  type InstrumentDefinition,
  type Metrics,
  type ReportOptions,
  type ServerRequest,
  type TextOptions,
} from './metrics.ts'
export { NAMES } from './names.ts'
export type { Observable, ObservedKind } from './observe.ts'
export type {
  ClusterOptions,
  MetricsOptions,
  OtlpOptions,
  PrometheusOptions,
  RuntimeOptions,
} from './options.ts'
export type { InstrumentOptions } from './pipeline.ts'
export type { Recommendation, RuleId, Severity } from './recommendations.ts'
export type {
  CacheReport,
  LatencyFigures,
  PerformanceReport,
  PoolReport,
  QueryReport,
  ReportWindow,
  RouteReport,
  SlowQueryReport,
  UpstreamReport,
  WorkerRuntime,
} from './report.ts'
export type { RuntimeFigures } from './runtime.ts'
export { DEFAULT_THRESHOLDS, type Thresholds } from './thresholds.ts'
