// What one engine (one thread's share of a run) is told to do: the resolved options it needs, and its share.
import type { Stage } from './stages.ts'
import type { TransportOptions } from './transport-options.ts'

export interface EngineConfig {
  origin: string
  /** 'raw': the built-in HTTP/1.1 client (plain or TLS); 'undici': one undici Client per connection (HTTP/2). */
  transport: 'raw' | 'undici'
  model: 'open' | 'closed'
  /** Connections of the whole run (all workers). */
  connections: number
  pipelining: number
  rate: number | undefined
  stages: Stage[] | undefined
  /** Sending window, ms. */
  duration: number
  amount: number | undefined
  /** Per-request deadline, ms. */
  timeout: number
  /** Grace period for in-flight requests after the window, ms. */
  gracefulStop: number
  /** Open model: a send this many ms behind its intended time is late. */
  lateThreshold: number
  /**
   * Open model, sends behind their schedule: 'burst-2x' sends the backlog at up to twice the asked rate (wrk2);
   * 'drop' drops every send that cannot go out within lateThreshold of its intended time (k6's dropped iterations).
   */
  catchUp: 'burst-2x' | 'drop'
  /** This engine's share of the sends/connections/iterations: share `workerIndex` of `workerCount` (see shareOf). */
  workerIndex: number
  workerCount: number
  /** Index of the engine among this process's engines (the worker thread), for the collector. */
  engine: number
  /** Encode histograms (worker threads) instead of passing the objects. */
  encode: boolean
  /** Warm-up before the measured run, ms (0: none): same model and rate, on the same connections, not recorded. */
  warmup: number
  /** TLS verification, and HTTP/2 (undici). */
  tls: TransportOptions
}
