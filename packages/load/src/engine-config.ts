// What one engine (one thread's share of a run) is told to do: the resolved options it needs (the same fields,
// not a restatement: plain data, since it crosses to worker threads), and its share of the run.
import type { ResolvedOptions } from './options.ts'
import type { TransportOptions } from './transport-options.ts'

/** The options an engine reads, as resolved (durations in ms; connections and rate of the whole run). */
export type EngineOption =
  | 'origin'
  | 'transport'
  | 'model'
  | 'connections'
  | 'pipelining'
  | 'rate'
  | 'stages'
  | 'duration'
  | 'amount'
  | 'timeout'
  | 'gracefulStop'
  | 'lateThreshold'
  | 'catchUp'
  | 'warmup'

// A record, so that the compiler checks the list is complete.
const engineOptions: Record<EngineOption, true> = {
  origin: true,
  transport: true,
  model: true,
  connections: true,
  pipelining: true,
  rate: true,
  stages: true,
  duration: true,
  amount: true,
  timeout: true,
  gracefulStop: true,
  lateThreshold: true,
  catchUp: true,
  warmup: true,
}
const ENGINE_OPTIONS = Object.keys(engineOptions) as EngineOption[]

export type EngineConfig = Pick<ResolvedOptions, EngineOption> & {
  /** This engine's share of the sends/connections/iterations: share `workerIndex` of `workerCount` (see shareOf). */
  workerIndex: number
  workerCount: number
  /** Index of the engine among this process's engines (the worker thread), for the collector. */
  engine: number
  /** Encode histograms (worker threads) instead of passing the objects. */
  encode: boolean
  /** TLS verification, and HTTP/2 (undici). */
  tls: TransportOptions
}

/** Engine `index` of a run's `o.workers` (and of its segment): its config. */
export function engineConfig(o: ResolvedOptions, index: number, encode: boolean): EngineConfig {
  const picked = Object.fromEntries(ENGINE_OPTIONS.map((k) => [k, o[k]])) as Pick<
    ResolvedOptions,
    EngineOption
  >
  return {
    ...picked,
    // Segment s of n, worker w of W: share w*n + s of W*n, so send i goes to segment i % n (every n-th send).
    workerIndex: index * o.segment.count + (o.segment.index - 1),
    workerCount: o.workers * o.segment.count,
    engine: index,
    encode,
    tls: { insecure: o.insecure, ca: o.ca, http2: o.http2 },
  }
}
