// createMetrics(): the MeterProvider, its readers, the channel pipeline, the report and cluster merging.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Meter, MeterProvider } from '@opentelemetry/api'
import { emptyResource } from '@opentelemetry/resources'
import type {
  CollectionResult,
  MetricData,
  MetricProducer,
  ResourceMetrics,
} from '@opentelemetry/sdk-metrics'
import { customCounter, customHistogram } from './custom-instruments.ts'
import { gather, isClusterWorker, type Peer, serveWorker, type WorkerSnapshot } from './cluster.ts'
import { ClusterCounters } from './cluster-counters.ts'
import { check, MetricsClosedError } from './errors.ts'
import { type MetricsOptions, type ResolvedOptions, resolveOptions } from './options.ts'
import {
  familiesToScopeMetrics,
  hrTimeFromMs,
  mergeProcesses,
  renameForPrometheus,
  toWire,
  type WireMetric,
} from './otel-data.ts'
import { type Observable, ObservedSet, assertObservable } from './observe.ts'
import { type InstrumentOptions, Pipeline } from './pipeline.ts'
import { mergeQueryRecords, mergeSlowRecords } from './queries.ts'
import { mergeSnapshots } from './registry.ts'
import type {
  Counter,
  Histogram,
  HistogramDefinition,
  InstrumentDefinition,
  Metrics,
  ReportOptions,
  ServerRequest,
  TextOptions,
} from './api.ts'
import { SlowQueryFindings } from './findings.ts'
import { type Backend, ownBackend, userBackend } from './sdk.ts'
import { deferredNames } from './standard.ts'
import { Exemplars } from './exemplars.ts'
import { serialize } from './exposition.ts'
import { OPENMETRICS_CONTENT_TYPE, prefersOpenMetrics } from './openmetrics.ts'
import { resolveTracerProvider, Tracing } from './traces.ts'
import { subtractFamilies, subtractQueries, WindowRing } from './window.ts'
import { buildReport, type PerformanceReport, type ReportSource } from './report.ts'
import { RuntimeSampler } from './runtime.ts'
import { registerRuntimeInstruments } from './runtime-instruments.ts'
import { resolveThresholds } from './thresholds.ts'

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

class MetricsImpl implements Metrics {
  readonly producer: MetricProducer
  /** The series without binding the backend (our own readers call it). */
  private readonly rawProducer: MetricProducer
  readonly role: 'single' | 'primary' | 'worker'
  private readonly options: ResolvedOptions
  private readonly pipeline: Pipeline
  /** Bound at construction with our own SDK; with the user's provider at first use (see #bind). */
  #backend: Backend | undefined
  private readonly stopInstruments: Array<() => void> = []
  private readonly observed: ObservedSet
  private readonly tracing: Tracing | undefined
  private readonly exemplars: Exemplars | undefined
  private readonly runtime: RuntimeSampler | undefined
  private readonly startedAt: number
  private readonly ring: WindowRing
  private readonly ringTimer: NodeJS.Timeout
  private readonly attached: Map<string, Peer> = new Map()
  private readonly clusterCounters: ClusterCounters = new ClusterCounters()
  private readonly analyses: SlowQueryFindings = new SlowQueryFindings()
  private readonly stopServing: (() => void) | undefined
  private requests = 0
  private closing: Promise<void> | undefined

  constructor(options: ResolvedOptions) {
    this.options = options
    this.startedAt = options.clock.epoch()
    this.ring = new WindowRing(options.recommendationWindow, options.clock.now())
    this.ringTimer = setInterval(() => this.addBaseline(), this.ring.interval)
    this.ringTimer.unref()
    this.pipeline = new Pipeline(
      options.cardinalityLimit,
      options.queryLimit,
      options.slowQueryLimit,
      options.standardInstruments.db === 'auto',
    )
    const registry = this.pipeline.registry
    const startTime = hrTimeFromMs(performance.timeOrigin + performance.now())
    const producer: MetricProducer = {
      collect: async (): Promise<CollectionResult> => {
        // standard names an active OTel instrumentation also publishes are left out (option standardInstruments);
        // of db.client.operation.duration what instrumentation-pg does not time stays (SQLite, pipelines, batches)
        const deferred = deferredNames(options.standardInstruments)
        const families = registry.snapshot(false).filter((f) => !deferred.has(f.name))
        const untimed = this.pipeline.dbPgUntimedDuration
        if (untimed !== undefined && deferred.has(untimed.name)) {
          const kept = untimed.snapshot(false)
          if (kept.series.length > 0) families.push(kept)
        }
        return {
          resourceMetrics: {
            resource: emptyResource(),
            scopeMetrics: [familiesToScopeMetrics(families, startTime, hrTimeFromMs(Date.now()))],
          },
          errors: [],
        }
      },
    }
    this.rawProducer = producer
    this.producer = {
      collect: (collectOptions) => {
        this.#bind()
        return producer.collect(collectOptions)
      },
    }
    this.observed = new ObservedSet()
    if (options.runtime !== undefined) {
      this.runtime = new RuntimeSampler(
        options.runtime.sampleInterval,
        options.runtime.resolution,
        this.pipeline.gcDuration,
      )
    }
    if (options.exemplars) {
      this.exemplars = new Exemplars()
      this.pipeline.exemplars = this.exemplars
    }
    const tracerProvider = options.tracerProvider
    if (tracerProvider !== undefined) {
      this.tracing = new Tracing(
        () => resolveTracerProvider(tracerProvider),
        options.standardInstruments,
        this.exemplars,
      )
    }
    if (options.meterProvider === undefined) this.#bind()
    if (options.cluster === undefined) this.role = 'single'
    else this.role = options.cluster.role ?? (isClusterWorker() ? 'worker' : 'primary')
    if (this.role === 'worker') this.stopServing = serveWorker(() => this.localSnapshot())
  }

  /**
   * Creates the observable instruments on the backend's Meter. With the user's provider this waits for
   * first use: their reader (built with `metricProducers: [metrics.producer]`) and provider may be created
   * after createMetrics(), and the global provider registered after it (NodeSDK.start()).
   */
  #bind(): Backend {
    if (this.#backend !== undefined) return this.#backend
    const provider = this.options.meterProvider
    const backend =
      provider === undefined
        ? ownBackend(this.options, this.rawProducer)
        : userBackend(typeof provider === 'function' ? provider() : provider, this.rawProducer)
    this.#backend = backend
    this.observed.attach(backend.meter)
    this.stopInstruments.push(() => this.observed.detach())
    if (this.runtime !== undefined) {
      this.stopInstruments.push(registerRuntimeInstruments(backend.meter, this.runtime))
    }
    return backend
  }

  get meterProvider(): MeterProvider {
    return this.#bind().meterProvider
  }

  get meter(): Meter {
    return this.#bind().meter
  }

  get serverRequests(): number {
    return this.requests
  }

  private assertOpen(operation: string): void {
    if (this.closing !== undefined) throw new MetricsClosedError(operation)
  }

  instrument(options: InstrumentOptions = {}): Metrics {
    this.assertOpen('instrument()')
    if (typeof options !== 'object' || options === null) {
      check.fail('instrument(options)', options, 'an object { cache?, http?, db? }')
    }
    for (const key of ['cache', 'http', 'db'] as const) {
      const v = options[key]
      if (v !== undefined && typeof v !== 'boolean') check.fail(`instrument.${key}`, v, 'a boolean')
    }
    this.#bind()
    // tracing first: a span made of an event is the exemplar of the metric recorded from it
    this.tracing?.subscribe(options)
    this.pipeline.subscribe(options)
    return this
  }

  observe(target: Observable): () => void {
    this.assertOpen('observe()')
    assertObservable(target)
    this.#bind()
    this.observed.targets.add(target)
    return () => {
      this.observed.targets.delete(target)
    }
  }

  recordServerRequest(request: ServerRequest): void {
    if (this.closing !== undefined) return
    this.requests++
    this.pipeline.recordServerRequest(
      request.method,
      request.route,
      request.statusCode,
      request.durationMs,
      request.scheme === 'https' ? 'https' : 'http',
    )
  }

  histogram(name: string, definition: HistogramDefinition = {}): Histogram {
    this.assertOpen('histogram()')
    return customHistogram(this.pipeline.registry, name, definition)
  }

  counter(name: string, definition: InstrumentDefinition = {}): Counter {
    this.assertOpen('counter()')
    return customCounter(this.pipeline.registry, name, definition)
  }

  attachWorker(name: string, child: Peer): () => void {
    this.assertOpen('attachWorker()')
    if (typeof name !== 'string' || name === '') check.fail('attachWorker(name)', name, 'a non-empty string')
    if (
      typeof child?.send !== 'function' ||
      typeof child.on !== 'function' ||
      typeof child.off !== 'function'
    ) {
      check.fail('attachWorker(child)', child, 'a forked child process (send, on, off)')
    }
    this.attached.set(name, child)
    return () => {
      this.attached.delete(name)
    }
  }

  handler(req: IncomingMessage, res: ServerResponse): void {
    if (this.closing !== undefined) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' })
      res.end('# metrics instance is closed\n')
      return
    }
    const openMetrics = prefersOpenMetrics(req.headers?.accept)
    this.text({ openMetrics }).then(
      (text) => {
        res.writeHead(200, { 'content-type': openMetrics ? OPENMETRICS_CONTENT_TYPE : CONTENT_TYPE })
        res.end(text)
      },
      (error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
        res.end(`# failed to collect metrics: ${String(error)}\n`)
      },
    )
  }

  async text(options: TextOptions = {}): Promise<string> {
    this.assertOpen('text()')
    if (typeof options !== 'object' || options === null)
      check.fail('text(options)', options, 'an object { openMetrics? }')
    const openMetrics = options.openMetrics === true
    const local = await this.collectLocal()
    const format = { ...this.options.prometheus, openMetrics, exemplars: this.exemplars }
    if (this.role !== 'primary') {
      return serialize(
        { resource: local.resource, scopeMetrics: renameForPrometheus(local.scopeMetrics) },
        format,
      )
    }
    const { results, missing } = await gather(this.attached, this.clusterTimeout())
    const present = new Set([...results.map((r) => r.worker), ...missing])
    const { sources, stale } = this.clusterCounters.sources(
      results.map((r) => ({ worker: r.worker, metrics: r.snapshot.metrics })),
      present,
      hrTimeFromMs(Date.now()),
    )
    const merged = mergeProcesses([{ worker: 'primary', metrics: toWire(local.scopeMetrics) }, ...sources])
    if (stale.dataPoints.length > 0) merged.metrics.push(stale as unknown as MetricData)
    return serialize({ resource: local.resource, scopeMetrics: renameForPrometheus([merged]) }, format)
  }

  async report(options: ReportOptions = {}): Promise<PerformanceReport> {
    this.assertOpen('report()')
    if (typeof options !== 'object' || options === null) check.fail('report(options)', options, 'an object')
    const thresholds = resolveThresholds(this.options.thresholds, options.thresholds, 'report.thresholds')
    const local = this.reportSource(this.role === 'primary' ? 'primary' : String(process.pid))
    const sources: ReportSource[] = [local]
    if (this.role === 'primary') {
      const { results } = await gather(this.attached, this.clusterTimeout())
      for (const r of results) sources.push({ ...r.snapshot.source, worker: r.worker })
    }
    const baselines = sources.map((s) => s.baseline)
    const families = mergeSnapshots(sources.map((s) => s.families))
    const queries = mergeQueryRecords(sources.map((s) => s.queries))
    const windowMs = Math.max(...baselines.map((b) => b?.ageMs ?? 0))
    return buildReport({
      sources,
      epoch: this.options.clock.epoch(),
      window: {
        families: subtractFamilies(families, mergeSnapshots(baselines.map((b) => b?.families ?? []))),
        queries: subtractQueries(queries, mergeQueryRecords(baselines.map((b) => b?.queries ?? []))),
        seconds: windowMs / 1000,
        sinceEpoch: baselines.some((b) => b?.epoch === undefined)
          ? undefined
          : Math.min(...baselines.map((b) => b?.epoch ?? 0)),
        configuredSeconds: this.options.recommendationWindow / 1000,
      },
      findings: await this.analyses.findings(this.observed.targets),
      families,
      queries,
      slow: mergeSlowRecords(sources.map((s) => s.slow)),
      thresholds,
      startedAt: this.startedAt,
      topQueries: this.options.topQueries,
      local: local.runtime,
    })
  }

  private clusterTimeout(): number {
    return this.options.cluster?.timeout ?? 2000
  }

  private collectLocal(): Promise<ResourceMetrics> {
    return this.#bind().collect()
  }

  private addBaseline(): void {
    this.ring.add({
      at: this.options.clock.now(),
      epoch: this.options.clock.epoch(),
      families: this.pipeline.registry.snapshot(),
      queries: this.pipeline.queries.snapshot().queries,
    })
  }

  private reportSource(worker: string): ReportSource {
    const q = this.pipeline.queries.snapshot()
    return {
      baseline: this.ring.baseline(this.options.clock.now()),
      worker,
      pid: process.pid,
      startedAt: this.startedAt,
      families: this.pipeline.registry.snapshot(),
      queries: q.queries,
      slow: q.slow,
      runtime: this.runtime?.figures(),
      observed: this.observed.statsList(),
      poolPending: Object.fromEntries(this.pipeline.poolPending),
    }
  }

  private async localSnapshot(): Promise<WorkerSnapshot> {
    const local = await this.collectLocal()
    const metrics: WireMetric[] = toWire(local.scopeMetrics)
    return { metrics, source: this.reportSource(String(process.pid)) }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.ringTimer)
    this.pipeline.unsubscribeAll()
    this.tracing?.unsubscribeAll()
    this.stopServing?.()
    this.runtime?.close()
    this.observed.targets.clear()
    this.attached.clear()
    // on the user's provider our callbacks must go (it outlives us); our own provider shuts down below
    if (this.#backend?.external === true) for (const stop of this.stopInstruments) stop()
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        this.#backend?.shutdown(this.options.closeTimeout),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, this.options.closeTimeout)
          timer.unref()
        }),
      ])
    } catch {
      // a failed final export must not make close() reject
    } finally {
      clearTimeout(timer)
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}

/** Creates a metrics instance. Options are validated here; see the README for defaults. */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  return new MetricsImpl(resolveOptions(options))
}

export type {
  Counter,
  CounterFamily,
  Histogram,
  HistogramDefinition,
  HistogramFamily,
  InstrumentDefinition,
  Metrics,
  ReportOptions,
  ServerRequest,
  TextOptions,
} from './api.ts'
