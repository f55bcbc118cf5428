// Every code @hotpath/metrics throws, with when it is thrown. The README's `## Errors` table is
// checked against this registry both ways (test/errors.test.ts).
import type { ErrorCodeOf, ErrorRegistry } from '@hotpath/core'

export const errorCodes: {
  readonly HOTPATH_METRICS_INVALID_OPTION: string
  readonly HOTPATH_METRICS_CLOSED: string
  readonly HOTPATH_METRICS_NOT_OBSERVABLE: string
  readonly HOTPATH_METRICS_OTLP_MISSING: string
} = {
  HOTPATH_METRICS_INVALID_OPTION:
    'a bad option to createMetrics, instrument, report, histogram, counter, attachWorker or the Fastify plugin',
  HOTPATH_METRICS_CLOSED: 'work asked of a metrics instance after close()',
  HOTPATH_METRICS_NOT_OBSERVABLE: 'observe(x) on something without stats() returning a known kind',
  HOTPATH_METRICS_OTLP_MISSING:
    'otlp is configured but the optional peer @opentelemetry/exporter-metrics-otlp-http is not installed',
} satisfies ErrorRegistry

/** A code @hotpath/metrics throws. */
export type MetricsErrorCode = ErrorCodeOf<typeof errorCodes>
