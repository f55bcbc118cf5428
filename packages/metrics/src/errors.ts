// Coded errors of @hotpath/metrics, on the one error identity of @hotpath/core.
import { describe, HotpathError, nameErrorClass, type OptionChecks, optionChecks } from '@hotpath/core'
import type { MetricsErrorCode } from './error-codes.ts'

/** Option validators throwing core's InvalidOptionError with `HOTPATH_METRICS_INVALID_OPTION`. */
export const check: OptionChecks = optionChecks('HOTPATH_METRICS_INVALID_OPTION' satisfies MetricsErrorCode)

/** Work asked of a metrics instance after `close()`. */
export class MetricsClosedError extends HotpathError {
  declare readonly code: 'HOTPATH_METRICS_CLOSED'
  constructor(operation: string) {
    super(
      'HOTPATH_METRICS_CLOSED' satisfies MetricsErrorCode,
      `metrics instance is closed: cannot ${operation}`,
      {
        details: { operation },
      },
    )
  }
  static {
    nameErrorClass(MetricsClosedError, 'MetricsClosedError')
  }
}

/** `observe(x)` on something without a `stats()` returning `{ kind }` (`cause`: the error `stats()` threw). */
export class MetricsObserveError extends HotpathError {
  declare readonly code: 'HOTPATH_METRICS_NOT_OBSERVABLE'
  constructor(received: unknown, cause?: unknown) {
    super(
      'HOTPATH_METRICS_NOT_OBSERVABLE' satisfies MetricsErrorCode,
      `observe() needs an object with a stats() method returning { kind: 'cache' | 'http' | 'pool' | 'database' }, received ${describe(received)}`,
      { cause, details: { received: describe(received) } },
    )
  }
  static {
    nameErrorClass(MetricsObserveError, 'MetricsObserveError')
  }
}

/** `otlp` is configured but the optional peer `@opentelemetry/exporter-metrics-otlp-http` is not installed. */
export class OtlpExporterMissingError extends HotpathError {
  declare readonly code: 'HOTPATH_METRICS_OTLP_MISSING'
  constructor(packageName: string, cause?: unknown) {
    super(
      'HOTPATH_METRICS_OTLP_MISSING' satisfies MetricsErrorCode,
      `the otlp option needs the optional peer dependency ${packageName}: install it (pnpm add ${packageName})`,
      { cause, details: { package: packageName } },
    )
  }
  static {
    nameErrorClass(OtlpExporterMissingError, 'OtlpExporterMissingError')
  }
}
