// The result object: what runLoad() returns and what --json writes. Stable, versioned schema (see README).
import type { GeneratorCause } from './generator-health.ts'
import type { LatencySummary } from './histogram.ts'

/** Bumped on any incompatible change of LoadResult. */
export const RESULT_SCHEMA_VERSION = 3 as const

/** Schema versions `compare` and `merge` still read (older files are migrated on load, see compare.ts). */
export const READABLE_SCHEMA_VERSIONS: readonly number[] = [1, 2, 3]

/** Schema 3. The figures of one request name (see `LoadResult.names`). */
export interface NameResult {
  requests: {
    /** Responses plus transport errors of this name. */
    completed: number
    responses: number
    /** Responses that passed their checks and captures. */
    ok: number
    errors: number
  }
  /** Responses of this name per second over the run's durationMs. */
  rps: number
  /** Milliseconds (from the intended send time for an iteration's first step, else from the real send). */
  latency: LatencySummary
  statusCodes: Record<string, number>
  errors: Record<string, number>
  /** This name's latencies in µs, HdrHistogram compressed base64 (merged exactly by `merge`). */
  histogram: string
}

export interface TimeseriesPoint {
  /** 1-based second of the run this point covers. */
  second: number
  /** Length of the interval covered, ms: 1000, less for the last (partial) second. */
  durationMs: number
  /** Completed requests (responses and errors) in this second. */
  requests: number
  /** Schema 3: requests sent in this second, of them late (open model), and scheduled sends dropped. */
  sent: number
  late: number
  dropped: number
  errors: number
  bytes: number
  /** Latencies of this second's responses, ms. */
  p50: number
  p90: number
  p99: number
  max: number
}

export interface ThresholdResult {
  expression: string
  metric: string
  /** Schema 3: the request name of a per-name threshold (`p99{name:login}<50ms`); absent for the whole run. */
  name?: string
  operator: '<' | '<=' | '>' | '>='
  /** Limit in the metric's unit (ms for latency, % or count for errors, req/s for rps). */
  limit: number
  unit: string
  /** The measured value; null when there was nothing to measure (see `reason`). */
  actual: number | null
  pass: boolean
  /** Why a threshold failed without a comparison: "no data" (no latency sample), "no successful request". */
  reason?: string
}

export interface LoadResult {
  schemaVersion: typeof RESULT_SCHEMA_VERSION
  tool: '@hotpath/load'
  startedAt: string
  finishedAt: string
  /** True when the run was stopped through its AbortSignal (the figures cover the part that ran). */
  aborted: boolean
  target: { url: string; method: string; scenario: string | null }
  options: {
    model: 'open' | 'closed'
    transport: 'raw' | 'undici'
    connections: number
    pipelining: number
    rate: number | null
    /** The stages as run (schema 1 names: `durationMs` per stage). */
    stages: Array<{ durationMs: number; target: number }> | null
    /** The `duration` option as resolved, ms. */
    durationMs: number
    amount: number | null
    workers: number
    /** The `timeout` option as resolved, ms. */
    timeoutMs: number
    /** The `warmup` option, ms (schema 2; 0 when loading a schema 1 file). */
    warmupMs: number
    /** The open model's catch-up policy (schema 2; 'burst-2x' when loading a schema 1 file). */
    catchUp: 'burst-2x' | 'drop'
    /** Schema 3: HTTP/2 was offered (`http2` option); false when loading an older file. */
    http2: boolean
    /** Schema 3: certificates were not verified (`insecure`). */
    insecure: boolean
    /** Schema 3: extra CA certificates were given (`ca`; the PEM itself is not recorded). */
    ca: boolean
    /** Schema 3: the segment this run was ('2/3'), null for a whole run (and for a merged result). */
    segment: string | null
    /** Schema 3: the `startAt` option (ISO 8601), or null. */
    startAt: string | null
  }
  /**
   * Schema 3: the protocol(s) the connections spoke, 'http/1.1', 'h2' or both comma-separated ('h2,http/1.1');
   * null when no connection was made (or for an older file).
   */
  protocol: string | null
  /** Wall time from the first send to the last completion, ms. */
  durationMs: number
  requests: {
    /** Requests sent. */
    sent: number
    /** Requests completed: responses plus transport errors. */
    completed: number
    /** Responses received (any status): what `throughput.rps` counts. Transport errors are not responses. */
    responses: number
    /** Completed without error. */
    ok: number
    /** Transport errors, timeouts, failed checks, HTTP >= 400 without an explicit expected status, dropped sends. */
    errors: number
    /** Open model: sends dispatched more than `lateThreshold` ms after their intended time. */
    late: number
    /** Open model: scheduled sends never sent (older than the timeout when a connection freed up, or still unsent when the graceful stop ended). */
    dropped: number
    /** In flight when the graceful stop period ended: cancelled, not counted as errors. */
    cancelled: number
  }
  /** Milliseconds; from the intended send time in the open model (coordinated-omission free). */
  latency: LatencySummary
  /**
   * Schema 2. Milliseconds from the moment each request was really sent to its response (wrk2's -U): the
   * target's share alone. In the closed model it equals `latency`; in the open model the difference is the
   * time sends waited (for a connection, or for the generator itself).
   */
  latencyUncorrected: LatencySummary
  /** Schema 2. The generator's own health (is the load generator, not the target, the bottleneck?). */
  generator: {
    /** Event-loop delay of the generator thread(s) over the run, ms (worst worker). */
    eventLoopDelayMs: { p50: number; p99: number; max: number }
    /** Late sends / sent (open model). */
    lateShare: number
    /** Late sends that had a free connection / sent: lateness the generator caused itself. */
    generatorLateShare: number
    /** True when the generator lagged (event-loop delay p99 > 20 ms, or > 5 % of sends late by its own fault). */
    bottleneck: boolean
    /**
     * Why it lagged (null when it did not): 'saturated' (its event loop was busy >= 90 % of the run: it cannot go
     * faster) or 'starved' (mostly idle, yet its timers fired late: other processes took the CPU, or something
     * blocked its event loop).
     */
    cause: GeneratorCause | null
    /** Share of the run the generator's event loop was busy (worst thread), 0..1. */
    busyShare: number
    /** CPU time of the generator's thread / run time (worst thread): 1 is a whole core. */
    cpuShare: number
    /** CPU time of the generator thread(s) per completed request, µs. */
    cpuPerRequestUs: number
  }
  /** Schema 2. Human-readable warnings (also printed under the table). */
  warnings: string[]
  throughput: {
    /** Responses per second over durationMs (transport errors are not counted: see requests.errors). */
    rps: number
    /** Sent requests per second over the sending window (compare with the target rate in the open model). */
    sendRate: number
    bytesPerSecond: number
    bytes: number
  }
  statusCodes: Record<string, number>
  errors: Record<string, number>
  timeseries: TimeseriesPoint[]
  /** Whole-run latency histogram, microseconds, HdrHistogram compressed base64 (decode with hdr-histogram-js). */
  histogram: string
  /** Schema 2. Send-to-response histogram (latencyUncorrected), same encoding. */
  histogramUncorrected: string
  /**
   * Schema 3. Per request name (scenario runs; `{}` for a single request): latency, counts, status codes and
   * errors of each named step, in the order the scenario names them.
   */
  names: Record<string, NameResult>
  thresholds: ThresholdResult[]
}

export interface LoadProgress {
  elapsedMs: number
  durationMs: number
  requests: number
  errors: number
  /** Completed requests in the last full second. */
  rps: number
  /** p99 latency of the last full second, ms. */
  p99: number
  inFlight: number
}
