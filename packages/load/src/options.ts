// Options of runLoad(), validated once with @hotpath/core's optionChecks: a bad option throws
// InvalidOptionError (code HOTPATH_LOAD_INVALID_OPTION) naming it, the value and what is allowed.
import { check } from './check.ts'
import type { LoadProgress } from './result.ts'
import type { Scenario } from './scenario.ts'
import { resolveSegment, resolveStartAt, type Segment } from './segment.ts'
import { parseStages, type Stage, stagesDuration, validateStages } from './stages.ts'

export interface LoadOptions {
  /** Target URL (http: or https:). Its path is the default request path. */
  url: string
  /** HTTP method (default GET). */
  method?: string
  headers?: Record<string, string>
  body?: string
  /**
   * Scenario: a file path (.json/.js/.mjs/.ts), a scenario object, or a function called per iteration
   * (objects and functions in-process only: not with workers > 1).
   */
  scenario?: string | Scenario
  /** 'closed' (default unless rate is set): connections x pipelining requests always in flight. 'open': fixed schedule. */
  model?: 'open' | 'closed'
  /** Connections (default 10). In the closed model with stages, at least the highest stage target. */
  connections?: number
  /** Requests in flight per connection (default 1). */
  pipelining?: number
  /** Open model: requests per second (sets model 'open'). */
  rate?: number
  /** Ramping stages (open: target rate; closed: target connections), from 0. A string like "10s:100,30s:1000". */
  stages?: Stage[] | string
  /** Length of the run in ms. Default: the stages' total, else 10 000 (600 000 cap when only amount is set). */
  duration?: number
  /** Maximum number of iterations (requests, or sequences in a scenario). */
  amount?: number
  /** Worker threads (default 1 = in the calling thread). Histograms merge exactly. */
  workers?: number
  /**
   * 'raw' (default): the built-in HTTP/1.1 client (plain or TLS), pre-serialised requests, lowest CPU per request.
   * 'undici' (default with http2, the only choice for HTTP/2): one undici Client per connection.
   */
  transport?: 'raw' | 'undici'
  /** https: accept any certificate (self-signed, another name): no verification (default false). */
  insecure?: boolean
  /** https: extra trusted CA certificate(s), PEM text (the CLI's --ca reads a file), e.g. a self-signed target's. */
  ca?: string
  /**
   * Offer HTTP/2 (undici transport): ALPN h2 preferred on https: (HTTP/1.1 if the server declines), prior-knowledge
   * h2c on http:. Default false: HTTP/1.1 only, whatever the server offers. The protocol used is in `result.protocol`.
   */
  http2?: boolean
  /** Per-request deadline (connect, headers, body) in ms (default 10 000). */
  timeout?: number
  /** How long in-flight requests may finish after the sending window, in ms (default 2 000); then they are cancelled. */
  gracefulStop?: number
  /** Open model: a send dispatched more than this many ms after its intended time counts as late (default 5). */
  lateThreshold?: number
  /**
   * Open model: what happens to sends behind their schedule (after a stall, or when no connection was free).
   * 'burst-2x' (default): they go out at up to twice the asked rate until the schedule is caught up (wrk2);
   * 'drop': a send that cannot go out within lateThreshold of its intended time is dropped and counted
   * (`requests.dropped`, error code DROPPED), like k6's dropped_iterations.
   */
  catchUp?: 'burst-2x' | 'drop'
  /**
   * Warm-up before the measured run, ms (default 0): the same model and rate on the same (already open)
   * connections; nothing of it is recorded in the result.
   */
  warmup?: number
  /**
   * Runs share `index` of `count` of the test (`'2/3'` or `{ index: 2, count: 3 }`, 1-based): every count-th send of
   * the open schedule, of the connections and of the iterations; rate, connections and amount stay the whole
   * test's. n processes with segments 1/n..n/n and one `startAt` add up to one run (`hotpath-load merge`).
   */
  segment?: string | Segment
  /** When the measured schedule starts (a Date, ISO 8601 or epoch ms; connections open before): aligns segments. */
  startAt?: Date | string | number
  /** Stops the run early; the result covers what ran and has `aborted: true`. */
  signal?: AbortSignal
  /** Called once per second with live figures. */
  onProgress?: (progress: LoadProgress) => void
  /** Threshold expressions evaluated into result.thresholds, e.g. "p99<50ms", "errors<1%", "rps>1000". */
  thresholds?: string[]
}

export interface ResolvedOptions {
  url: URL
  origin: string
  path: string
  method: string
  headers: Record<string, string> | undefined
  body: string | undefined
  scenario: string | Scenario | undefined
  model: 'open' | 'closed'
  transport: 'raw' | 'undici'
  connections: number
  pipelining: number
  rate: number | undefined
  stages: Stage[] | undefined
  duration: number
  amount: number | undefined
  workers: number
  timeout: number
  gracefulStop: number
  lateThreshold: number
  warmup: number
  catchUp: 'burst-2x' | 'drop'
  insecure: boolean
  ca: string | undefined
  http2: boolean
  segment: Segment
  /** Epoch ms, or undefined: start as soon as the connections are open. */
  startAt: number | undefined
}

export const DEFAULT_DURATION = 10_000
export const AMOUNT_ONLY_CAP = 600_000

/** Every option runLoad() knows: anything else (a misspelling, an old name like durationMs) is rejected. */
const KNOWN: readonly (keyof LoadOptions)[] = [
  'url',
  'method',
  'headers',
  'body',
  'scenario',
  'model',
  'connections',
  'pipelining',
  'rate',
  'stages',
  'duration',
  'amount',
  'workers',
  'transport',
  'insecure',
  'ca',
  'http2',
  'timeout',
  'gracefulStop',
  'lateThreshold',
  'warmup',
  'catchUp',
  'segment',
  'startAt',
  'signal',
  'onProgress',
  'thresholds',
]

/** A finite number > 0 and <= max (or the fallback when undefined). */
function positive(
  name: string,
  value: unknown,
  fallback: number | undefined,
  max: number,
): number | undefined {
  const v = check.positive(name, value, fallback)
  if (v !== undefined && v > max) check.fail(name, value, `a finite number > 0 and <= ${max}`)
  return v
}

export function resolveOptions(o: LoadOptions): ResolvedOptions {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) check.fail('options', o, 'an object')
  check.object('options', o, KNOWN)
  let url: URL
  try {
    url = new URL(o.url)
  } catch {
    return check.fail('url', o.url, 'an absolute http: or https: URL, e.g. http://127.0.0.1:3000/')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    check.fail('url', o.url, 'an http: or https: URL')
  }
  const method = check.string('method', o.method, 'GET').toUpperCase()
  if (!/^[A-Z]+$/.test(method)) check.fail('method', o.method, 'an HTTP method like GET or POST')
  if (o.headers !== undefined) {
    const headers = check.object('headers', o.headers) as Record<string, unknown>
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value !== 'string') check.fail(`headers.${name}`, value, 'a string')
    }
  }
  if (o.body !== undefined && typeof o.body !== 'string') check.fail('body', o.body, 'a string')
  const modelOption = check.oneOf('model', o.model, ['open', 'closed'])
  const rate = positive('rate', o.rate, undefined, 10_000_000)
  const stages =
    o.stages === undefined
      ? undefined
      : typeof o.stages === 'string'
        ? parseStages(o.stages)
        : validateStages(o.stages)
  if (rate !== undefined && stages !== undefined) {
    check.fail(
      'rate',
      rate,
      'either rate or stages, not both (stages ramp the rate from 0 in the open model)',
    )
  }
  const model = modelOption ?? (rate !== undefined ? 'open' : 'closed')
  if (model === 'open' && rate === undefined && stages === undefined) {
    check.fail('rate', o.rate, 'a rate (requests/s) or stages: the open model needs one')
  }
  if (model === 'closed' && rate !== undefined) {
    check.fail('model', o.model, '"open" or no model: a rate implies the open model')
  }
  const amount = check.integer('amount', o.amount, undefined, 1)
  let duration: number
  if (o.duration !== undefined) duration = positive('duration', o.duration, undefined, 7 * 24 * 3_600_000)!
  else if (stages) duration = stagesDuration(stages)
  else if (amount !== undefined)
    duration = model === 'open' ? Math.ceil((amount / rate!) * 1000) + 1 : AMOUNT_ONLY_CAP
  else duration = DEFAULT_DURATION
  let connections = check.integer('connections', o.connections, 10, 1, 100_000)
  if (model === 'closed' && stages && o.connections === undefined) {
    connections = Math.max(1, Math.ceil(Math.max(...stages.map((s) => s.target))))
  }
  const workers = check.integer('workers', o.workers, 1, 1, 256)
  const segment = resolveSegment(o.segment)
  if (workers * segment.count > connections) {
    check.fail(
      'workers',
      workers,
      segment.count > 1
        ? `at most one worker per connection of this segment (connections: ${connections} for ${segment.count} segments)`
        : `at most one worker per connection (connections: ${connections})`,
    )
  }
  if (o.scenario !== undefined && typeof o.scenario !== 'string') {
    if (typeof o.scenario !== 'function') check.object('scenario', o.scenario)
    if (workers > 1)
      check.fail('scenario', o.scenario, 'a file path: with workers > 1 the scenario must be a file')
  }
  const http2 = check.boolean('http2', o.http2, false)
  const transport = check.oneOf('transport', o.transport, ['raw', 'undici'], http2 ? 'undici' : 'raw')
  if (transport === 'raw' && http2) {
    check.fail('transport', transport, '"undici" with http2 (the raw transport speaks HTTP/1.1 only)')
  }
  const insecure = check.boolean('insecure', o.insecure, false)
  if (o.ca !== undefined && (typeof o.ca !== 'string' || !o.ca.includes('-----BEGIN CERTIFICATE-----'))) {
    check.fail(
      'ca',
      typeof o.ca === 'string' ? `${o.ca.slice(0, 30)}...` : o.ca,
      'PEM text (-----BEGIN CERTIFICATE-----...)',
    )
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal))
    check.fail('signal', o.signal, 'an AbortSignal')
  check.func('onProgress', o.onProgress)
  if (o.thresholds !== undefined && !Array.isArray(o.thresholds)) {
    check.fail('thresholds', o.thresholds, 'an array of threshold expressions like "p99<50ms"')
  }
  return {
    url,
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
    method,
    headers: o.headers,
    body: o.body,
    scenario: o.scenario,
    model,
    transport,
    connections,
    pipelining: check.integer('pipelining', o.pipelining, 1, 1, 1024),
    rate,
    stages,
    duration,
    amount,
    workers,
    timeout: positive('timeout', o.timeout, 10_000, 3_600_000)!,
    gracefulStop: check.nonNegative('gracefulStop', o.gracefulStop, 2_000),
    lateThreshold: check.nonNegative('lateThreshold', o.lateThreshold, 5),
    warmup: check.nonNegative('warmup', o.warmup, 0),
    catchUp: check.oneOf('catchUp', o.catchUp, ['burst-2x', 'drop'], 'burst-2x'),
    insecure,
    ca: o.ca,
    http2,
    segment,
    startAt: resolveStartAt(o.startAt),
  }
}
