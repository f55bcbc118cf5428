// The OTLP/HTTP exporter is an optional peer dependency: loaded with import() only when `otlp` is configured,
// so installs without OTLP skip it (and its sdk-logs/sdk-trace/otlp-transformer). A missing package fails
// every export with HOTPATH_METRICS_OTLP_MISSING and warns once.
import {
  AggregationTemporality,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics'
import { OtlpExporterMissingError } from './errors.ts'

/** ExportResultCode.FAILED of @opentelemetry/core (not a direct dependency). */
const FAILED = 1

export interface OtlpSettings {
  url: string
  interval: number
  timeout: number
  headers: Record<string, string>
}

type ExporterModule = {
  OTLPMetricExporter: new (config: {
    url: string
    headers: Record<string, string>
    timeoutMillis: number
    temporalityPreference: AggregationTemporality
  }) => PushMetricExporter
}

const PACKAGE = '@opentelemetry/exporter-metrics-otlp-http'

export function loadOtlpModule(): Promise<ExporterModule> {
  // a variable specifier: bundlers and tsdown leave the optional peer out of the bundle
  const specifier: string = PACKAGE
  return import(specifier) as Promise<ExporterModule>
}

export class LazyOtlpExporter implements PushMetricExporter {
  private readonly ready: Promise<PushMetricExporter | OtlpExporterMissingError>
  private exporter: PushMetricExporter | undefined

  constructor(
    settings: OtlpSettings,
    load: () => Promise<ExporterModule> = loadOtlpModule,
    warn: (error: Error) => void = (e) => process.emitWarning(e),
  ) {
    this.ready = load().then(
      (mod) => {
        this.exporter = new mod.OTLPMetricExporter({
          url: settings.url,
          headers: settings.headers,
          timeoutMillis: settings.timeout,
          temporalityPreference: AggregationTemporality.CUMULATIVE,
        })
        return this.exporter
      },
      (cause: unknown) => {
        const error = new OtlpExporterMissingError(PACKAGE, cause)
        warn(error)
        return error
      },
    )
  }

  export(metrics: ResourceMetrics, resultCallback: (result: { code: number; error?: Error }) => void): void {
    this.ready.then((exporter) => {
      if (exporter instanceof OtlpExporterMissingError) resultCallback({ code: FAILED, error: exporter })
      else exporter.export(metrics, resultCallback)
    })
  }

  async forceFlush(): Promise<void> {
    const exporter = await this.ready
    if (!(exporter instanceof OtlpExporterMissingError)) await exporter.forceFlush()
  }

  async shutdown(): Promise<void> {
    const exporter = await this.ready
    if (!(exporter instanceof OtlpExporterMissingError)) await exporter.shutdown()
  }

  selectAggregationTemporality(): AggregationTemporality {
    return AggregationTemporality.CUMULATIVE
  }
}
