// Diagnostics channels of @hotpath/load, created once at module load; published only with subscribers.
// The payload types are the public contract (@hotpath/metrics imports them as types only).
import { type TypedChannel, typedChannel } from '@hotpath/core'

/** `hotpath:load:start`: once per runLoad(), before the first send. */
export interface LoadStartEvent {
  /** The target URL the user passed (the subject of the run, not a request path). */
  url: string
  model: 'open' | 'closed'
  transport: 'raw' | 'undici'
  connections: number
  /** Open model with a constant rate: requests/s; undefined for the closed model and for stages. */
  rate: number | undefined
  /** Planned length of the sending window, ms. */
  durationMs: number
}

/** `hotpath:load:progress`: once per second of the run (the figures of `onProgress`, plus the url). */
export interface LoadProgressEvent {
  url: string
  /** Time since the start of the run, ms (a whole second). */
  elapsedMs: number
  /** Planned length of the sending window, ms. */
  durationMs: number
  /** Completed requests so far. */
  requests: number
  /** Errors so far. */
  errors: number
  /** Completed requests in the last full second. */
  rps: number
  /** p99 latency of the last full second, ms. */
  p99: number
  inFlight: number
}

/** `hotpath:load:end`: once per runLoad() that produced a result (also an aborted one). */
export interface LoadEndEvent {
  url: string
  /** Wall time from the first send to the last completion, ms (result.durationMs). */
  durationMs: number
  /** Completed requests (result.requests.completed). */
  requests: number
  /** result.requests.errors */
  errors: number
  /** result.throughput.rps */
  rps: number
  aborted: boolean
}

/** Channel name -> payload: the contract of @hotpath/load's diagnostics channels. */
export interface LoadChannelPayloads {
  'hotpath:load:start': LoadStartEvent
  'hotpath:load:progress': LoadProgressEvent
  'hotpath:load:end': LoadEndEvent
}

export const startChannel: TypedChannel<LoadStartEvent> = typedChannel<LoadStartEvent>('hotpath:load:start')
export const progressChannel: TypedChannel<LoadProgressEvent> =
  typedChannel<LoadProgressEvent>('hotpath:load:progress')
export const endChannel: TypedChannel<LoadEndEvent> = typedChannel<LoadEndEvent>('hotpath:load:end')
