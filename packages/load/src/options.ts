// Options of runLoad(), validated once: a bad option throws LoadInvalidOptionError naming it.
import { LoadInvalidOptionError } from './errors.ts'
import type { LoadProgress } from './result.ts'
import type { Scenario } from './scenario.ts'
import { parseStages, type Stage, stagesDuration, validateStages } from './stages.ts'

export interface LoadOptions {
  /** Target URL (http: or https:). Its path is the default request path. */
  url: string
  /** HTTP method (default GET). */
  method?: string
  headers?: Record<string, string>
  body?: string
  /** Scenario: a file path (.json/.js/.mjs/.ts) or a scenario object (in-process only: not with workers > 1). */
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
  durationMs?: number
  /** Maximum number of iterations (requests, or sequences in a scenario). */
  amount?: number
  /** Worker threads (default 1 = in the calling thread). Histograms merge exactly. */
  workers?: number
  /**
   * 'raw' (default for http:): the built-in HTTP/1.1 client, pre-serialised requests, lowest CPU per request.
   * 'undici' (default and only choice for https:): one undici Client per connection.
   */
  transport?: 'raw' | 'undici'
  /** Per-request deadline (connect, headers, body) in ms (default 10 000). */
  timeoutMs?: number
  /** How long in-flight requests may finish after the sending window (default 2 000 ms); then they are cancelled. */
  gracefulStopMs?: number
  /** Open model: a send dispatched more than this after its intended time counts as late (default 5 ms). */
  lateMs?: number
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
  durationMs: number
  amount: number | undefined
  workers: number
  timeoutMs: number
  gracefulStopMs: number
  lateMs: number
}

export const DEFAULT_DURATION_MS = 10_000
export const AMOUNT_ONLY_CAP_MS = 600_000

function int(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new LoadInvalidOptionError(name, value, `expected an integer from ${min} to ${max}`)
  }
  return value
}

function positive(name: string, value: unknown, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
    throw new LoadInvalidOptionError(name, value, `expected a number > 0 and <= ${max}`)
  }
  return value
}

export function resolveOptions(o: LoadOptions): ResolvedOptions {
  if (!o || typeof o !== 'object') throw new LoadInvalidOptionError('options', o, 'expected an object')
  let url: URL
  try {
    url = new URL(o.url)
  } catch {
    throw new LoadInvalidOptionError(
      'url',
      o.url,
      'expected an absolute http: or https: URL, e.g. http://127.0.0.1:3000/',
    )
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new LoadInvalidOptionError('url', o.url, 'expected an http: or https: URL')
  }
  const method = (o.method ?? 'GET').toUpperCase()
  if (!/^[A-Z]+$/.test(method))
    throw new LoadInvalidOptionError('method', o.method, 'expected an HTTP method like GET or POST')
  if (o.headers !== undefined && (typeof o.headers !== 'object' || o.headers === null)) {
    throw new LoadInvalidOptionError('headers', o.headers, 'expected an object of header names to values')
  }
  if (o.body !== undefined && typeof o.body !== 'string')
    throw new LoadInvalidOptionError('body', o.body, 'expected a string')
  if (o.model !== undefined && o.model !== 'open' && o.model !== 'closed') {
    throw new LoadInvalidOptionError('model', o.model, 'expected "open" or "closed"')
  }
  const rate = o.rate === undefined ? undefined : positive('rate', o.rate, 10_000_000)
  const stages =
    o.stages === undefined
      ? undefined
      : typeof o.stages === 'string'
        ? parseStages(o.stages)
        : validateStages(o.stages)
  if (rate !== undefined && stages !== undefined) {
    throw new LoadInvalidOptionError(
      'rate',
      rate,
      'rate and stages are exclusive: stages ramp the rate from 0 (model "open")',
    )
  }
  const model = o.model ?? (rate !== undefined ? 'open' : 'closed')
  if (model === 'open' && rate === undefined && stages === undefined) {
    throw new LoadInvalidOptionError('rate', o.rate, 'the open model needs a rate (requests/s) or stages')
  }
  if (model === 'closed' && rate !== undefined) {
    throw new LoadInvalidOptionError('model', o.model, 'a rate implies the open model')
  }
  const amount = o.amount === undefined ? undefined : int('amount', o.amount, 1, Number.MAX_SAFE_INTEGER)
  let durationMs: number
  if (o.durationMs !== undefined) durationMs = positive('durationMs', o.durationMs, 7 * 24 * 3_600_000)
  else if (stages) durationMs = stagesDuration(stages)
  else if (amount !== undefined)
    durationMs = model === 'open' ? Math.ceil((amount / rate!) * 1000) + 1 : AMOUNT_ONLY_CAP_MS
  else durationMs = DEFAULT_DURATION_MS
  let connections = o.connections === undefined ? 10 : int('connections', o.connections, 1, 100_000)
  if (model === 'closed' && stages && o.connections === undefined) {
    connections = Math.max(1, Math.ceil(Math.max(...stages.map((s) => s.target))))
  }
  const workers = o.workers === undefined ? 1 : int('workers', o.workers, 1, 256)
  if (workers > connections) {
    throw new LoadInvalidOptionError(
      'workers',
      workers,
      `expected at most one worker per connection (connections: ${connections})`,
    )
  }
  if (workers > 1 && o.scenario !== undefined && typeof o.scenario !== 'string') {
    throw new LoadInvalidOptionError(
      'scenario',
      '[object]',
      'with workers > 1 the scenario must be a file path',
    )
  }
  if (
    o.scenario !== undefined &&
    typeof o.scenario !== 'string' &&
    (typeof o.scenario !== 'object' || o.scenario === null)
  ) {
    throw new LoadInvalidOptionError('scenario', o.scenario, 'expected a file path or a scenario object')
  }
  const transport = o.transport ?? (url.protocol === 'https:' ? 'undici' : 'raw')
  if (transport !== 'raw' && transport !== 'undici') {
    throw new LoadInvalidOptionError('transport', o.transport, 'expected "raw" or "undici"')
  }
  if (transport === 'raw' && url.protocol === 'https:') {
    throw new LoadInvalidOptionError(
      'transport',
      transport,
      'the raw transport speaks plain http: only; use "undici" for https:',
    )
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw new LoadInvalidOptionError('signal', o.signal, 'expected an AbortSignal')
  }
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') {
    throw new LoadInvalidOptionError('onProgress', o.onProgress, 'expected a function')
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
    pipelining: o.pipelining === undefined ? 1 : int('pipelining', o.pipelining, 1, 1024),
    rate,
    stages,
    durationMs,
    amount,
    workers,
    timeoutMs: o.timeoutMs === undefined ? 10_000 : positive('timeoutMs', o.timeoutMs, 3_600_000),
    gracefulStopMs: o.gracefulStopMs === undefined ? 2_000 : nonNegative('gracefulStopMs', o.gracefulStopMs),
    lateMs: o.lateMs === undefined ? 5 : nonNegative('lateMs', o.lateMs),
  }
}

function nonNegative(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new LoadInvalidOptionError(name, value, 'expected a number >= 0')
  }
  return value
}
