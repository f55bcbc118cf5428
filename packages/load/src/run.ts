// runLoad(): validates options, runs one engine in-process or N in worker threads, builds the LoadResult.
import { Worker } from 'node:worker_threads'
import { endChannel, progressChannel, startChannel } from './channels.ts'
import { Collector } from './collector.ts'
import { Engine } from './engine.ts'
import { engineConfig } from './engine-config.ts'
import { LoadAbortedError, LoadInvalidScenarioError, LoadWorkerError } from './errors.ts'
import { generatorCause } from './generator-health.ts'
import { encodeHistogram, summarize } from './histogram.ts'
import { type LoadOptions, type ResolvedOptions, resolveOptions } from './options.ts'
import type { PlainRequest } from './requests.ts'
import { type LoadProgress, type LoadResult, RESULT_SCHEMA_VERSION } from './result.ts'
import { buildSource } from './source.ts'
import type { TickSnapshot } from './tick.ts'
import { nameResults } from './result-names.ts'
import { checkThresholdNames, evaluateThresholds, parseThreshold } from './thresholds.ts'
import { now } from './clock.ts'
import { connectionFactory } from './connection.ts'

const workerFile = import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.mjs'

/** Runs a load test and resolves with the result (the same object --json writes). */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const o = resolveOptions(options)
  const thresholds = (options.thresholds ?? []).map(parseThreshold)
  const signal = options.signal
  if (signal?.aborted) throw new LoadAbortedError(signal.reason)
  const userProgress = options.onProgress
  const onProgress = (p: LoadProgress) => {
    if (progressChannel.hasSubscribers) progressChannel.publish({ url: o.url.href, ...p })
    userProgress?.(p)
  }
  const collector = new Collector(o.workers, o.duration, onProgress)
  const request: PlainRequest = { method: o.method, path: o.path, headers: o.headers, body: o.body }
  if (startChannel.hasSubscribers) {
    startChannel.publish({
      url: o.url.href,
      model: o.model,
      transport: o.transport,
      connections: o.connections,
      rate: o.rate,
      durationMs: o.duration,
    })
  }
  // With workers each thread builds its own source; here too only when per-name thresholds need the names.
  const source =
    o.workers === 1 || thresholds.some((t) => t.name !== null)
      ? await buildSource(o.origin, request, o.scenario)
      : null
  if (source !== null) checkThresholdNames(thresholds, source.names)
  const startedAt = new Date()
  const t0 = now()
  if (o.workers === 1) {
    const engine = new Engine(
      engineConfig(o, 0, false),
      source!,
      (s) => collector.add(s),
      await connectionFactory(o.transport),
    )
    await engine.prepare(signal)
    await engine.run(startTime(o.startAt), signal)
  } else {
    await runWorkers(o, request, collector, signal)
  }
  const finishedAt = new Date()
  const result = buildResult(o, collector, startedAt, finishedAt, now() - t0, signal?.aborted === true)
  result.names = nameResults(collector.names, source?.names ?? [], result.durationMs)
  result.thresholds = evaluateThresholds(thresholds, result)
  if (endChannel.hasSubscribers) {
    endChannel.publish({
      url: o.url.href,
      durationMs: result.durationMs,
      requests: result.requests.completed,
      errors: result.requests.errors,
      rps: result.throughput.rps,
      aborted: result.aborted,
    })
  }
  return result
}

/** What a worker thread posts (see worker.ts). A failure carries the code and details of a coded error. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'tick'; snap: TickSnapshot }
  | { type: 'done' }
  | { type: 'error'; message: string; code?: string; details?: Record<string, unknown> }

/**
 * The error a worker's failure message becomes in the main thread: a scenario a worker could not load is the
 * same LoadInvalidScenarioError as in-process; anything else is a LoadWorkerError naming the worker.
 */
export function workerFailure(
  index: number,
  msg: Extract<WorkerMessage, { type: 'error' }>,
): LoadWorkerError | LoadInvalidScenarioError {
  const d = msg.details
  if (
    msg.code === 'HOTPATH_LOAD_INVALID_SCENARIO' &&
    typeof d?.file === 'string' &&
    typeof d.reason === 'string'
  ) {
    return new LoadInvalidScenarioError(d.file, d.reason)
  }
  return new LoadWorkerError(index, msg.message, { cause: { code: msg.code, message: msg.message } })
}

/** `startAt` (epoch ms) on the engines' clock (performance.timeOrigin + now()); now when not set. */
function startTime(startAt: number | undefined): number {
  return startAt === undefined ? now() : startAt - Date.now() + now()
}

/** Milliseconds a run waits for every worker thread to report ready. */
const WORKER_STARTUP_MS = 30_000

async function runWorkers(
  o: ResolvedOptions,
  request: PlainRequest,
  collector: Collector,
  signal: AbortSignal | undefined,
): Promise<void> {
  const workers: Worker[] = []
  let ready = 0
  let done = 0
  let failed = false
  const onAbort = () => {
    for (const w of workers) w.postMessage({ type: 'abort' })
  }
  try {
    await new Promise<void>((resolve, reject) => {
      // Whatever a worker reports or however it dies, the run rejects with a coded error.
      const fail = (error: LoadWorkerError | LoadInvalidScenarioError) => {
        if (failed) return
        failed = true
        reject(error)
      }
      // Startup deadline: workers that do not all report ready in time fail the run.
      const startup = setTimeout(
        () => fail(new LoadWorkerError(undefined, `did not start within ${WORKER_STARTUP_MS / 1000} s`)),
        WORKER_STARTUP_MS,
      )
      startup.unref()
      for (let i = 0; i < o.workers; i++) {
        const worker = new Worker(new URL(workerFile, import.meta.url), {
          workerData: {
            config: engineConfig(o, i, true),
            request,
            scenario: typeof o.scenario === 'string' ? o.scenario : undefined,
          },
        })
        workers.push(worker)
        let finished = false
        worker.on('message', (msg: WorkerMessage) => {
          if (msg.type === 'ready') {
            if (++ready === o.workers) {
              clearTimeout(startup)
              const startAt = o.startAt === undefined ? now() + 20 : startTime(o.startAt)
              for (const w of workers) w.postMessage({ type: 'start', startAt })
            }
          } else if (msg.type === 'tick') collector.add(msg.snap)
          else if (msg.type === 'done') {
            finished = true
            if (++done === o.workers) resolve()
          } else if (msg.type === 'error') fail(workerFailure(i, msg))
        })
        // An uncaught exception in the worker (its error is not ours: keep it as the cause).
        worker.on('error', (error) =>
          fail(
            new LoadWorkerError(i, `crashed: ${(error as Error)?.message ?? String(error)}`, {
              cause: error,
            }),
          ),
        )
        worker.on('exit', (code) => {
          if (!finished) {
            clearTimeout(startup)
            fail(new LoadWorkerError(i, `exited with code ${code} before finishing`, { exitCode: code }))
          }
        })
      }
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  } finally {
    signal?.removeEventListener('abort', onAbort)
    await Promise.all(workers.map((w) => w.terminate()))
  }
}

/** The generator counts as the bottleneck above this event-loop delay p99, ms ... */
const GENERATOR_LOOP_DELAY_MS = 20
/** ... or when more than this share of sends were late with a free connection. */
const GENERATOR_LATE_SHARE = 0.05

function buildResult(
  o: ResolvedOptions,
  c: Collector,
  startedAt: Date,
  finishedAt: Date,
  wallMs: number,
  aborted: boolean,
): LoadResult {
  const durationMs = Math.max(1, c.elapsedMs || wallMs)
  const sendWindowMs = Math.max(1, c.sendWindowMs || durationMs)
  const errors = c.errorCount
  const round = (v: number) => Math.round(v * 100) / 100
  const share = (n: number) => (c.sent === 0 ? 0 : Math.round((n / c.sent) * 10_000) / 10_000)
  const generatorLateShare = share(c.lateGenerator)
  const loop = { ...c.loopDelayMs }
  const bottleneck = loop.p99 > GENERATOR_LOOP_DELAY_MS || generatorLateShare > GENERATOR_LATE_SHARE
  const generator = {
    eventLoopDelayMs: loop,
    lateShare: share(c.late),
    generatorLateShare,
    bottleneck,
    cause: bottleneck ? generatorCause(c.busyShare) : null,
    busyShare: round(c.busyShare),
    cpuShare: round(c.cpuShare),
    cpuPerRequestUs: c.completed === 0 ? 0 : Math.round((c.cpuMs * 1000) / c.completed),
  }
  const warnings: string[] = []
  if (generator.cause !== null) warnings.push(generatorWarning(generator))
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    tool: '@hotpath/load',
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    aborted,
    target: {
      url: o.url.href,
      method: o.method,
      scenario: o.scenario === undefined ? null : typeof o.scenario === 'string' ? o.scenario : '<object>',
    },
    options: {
      model: o.model,
      transport: o.transport,
      connections: o.connections,
      pipelining: o.pipelining,
      rate: o.rate ?? null,
      // Schema 1 of the JSON result keeps its field names (see README, "JSON result").
      stages: o.stages?.map((st) => ({ durationMs: st.duration, target: st.target })) ?? null,
      durationMs: o.duration,
      amount: o.amount ?? null,
      workers: o.workers,
      timeoutMs: o.timeout,
      warmupMs: o.warmup,
      catchUp: o.catchUp,
      http2: o.http2,
      insecure: o.insecure,
      ca: o.ca !== undefined,
      segment: o.segment.count > 1 ? `${o.segment.index}/${o.segment.count}` : null,
      startAt: o.startAt === undefined ? null : new Date(o.startAt).toISOString(),
    },
    protocol: [...c.protocols].sort().join(',') || null,
    durationMs: round(durationMs),
    requests: {
      sent: c.sent,
      completed: c.completed,
      responses: c.responses,
      ok: c.ok,
      errors,
      late: c.late,
      dropped: c.dropped,
      cancelled: c.cancelled,
    },
    latency: summarize(c.total),
    latencyUncorrected: summarize(c.totalSent),
    generator,
    throughput: {
      rps: round((c.responses / durationMs) * 1000),
      sendRate: round((c.sent / sendWindowMs) * 1000),
      bytesPerSecond: round((c.bytes / durationMs) * 1000),
      bytes: c.bytes,
    },
    statusCodes: c.statusCodes,
    errors: c.errors,
    timeseries: c.timeseries,
    histogram: encodeHistogram(c.total),
    histogramUncorrected: encodeHistogram(c.totalSent),
    names: {},
    warnings,
    thresholds: [],
  }
}

/** The bottleneck warning, naming the cause with the figures that show it. */
function generatorWarning(g: LoadResult['generator']): string {
  const pct = (v: number) => `${Math.round(v * 100)}%`
  const loop = g.eventLoopDelayMs
  const figures =
    `event-loop delay p99 ${loop.p99} ms, max ${loop.max} ms; ${(g.generatorLateShare * 100).toFixed(1)}% of sends ` +
    `late with a free connection; its event loop busy ${pct(g.busyShare)} of the run, ${pct(g.cpuShare)} of a core, ` +
    `${g.cpuPerRequestUs} µs CPU per request`
  const cause =
    g.cause === 'saturated'
      ? 'it is saturated, no idle time left (use more workers, the raw transport or a lower rate)'
      : 'it was starved: mostly idle, yet its timers fired late, so the CPU went to other processes on this ' +
        'machine (or code in this process blocked its event loop); use a less busy machine'
  return (
    `the load generator is the bottleneck: ${cause} (${figures}): latencies include its own lag ` +
    '(compare latencyUncorrected)'
  )
}
