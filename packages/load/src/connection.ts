// The connections of an engine: the raw HTTP/1.1 client or one undici Client, behind one small interface.
import type { Dispatcher } from 'undici'
import { type RawHandler, RawConnection } from './raw-connection.ts'
import type { Step } from './requests.ts'
import type { TransportOptions } from './transport-options.ts'

/** What receives a request's response, whatever the transport (a Slot). */
export type ResponseHandler = Dispatcher.DispatchHandler & RawHandler

/** One connection of the engine, whatever the transport. */
export interface Connection {
  /** The protocol of the connection's last socket ('http/1.1', 'h2'), null before one connected. */
  readonly protocol: string | null
  dispatch(step: Step, handler: ResponseHandler): void
  destroy(): void
  /**
   * Opens the connection ahead of the run (resolves once it is usable, or failed: a failure is not thrown, the
   * run's requests report it). Raw: the TCP connect. undici: the socket (TCP + TLS) undici's own connector
   * opens, handed to the Client when it first needs one: no request is sent ahead of the run.
   */
  connect(): Promise<void>
  /** Enforces the request deadline (raw transport; undici has its own timers). */
  sweep?(now: number): void
}

/** Makes the connections of one transport. */
export type ConnectionFactory = (
  origin: string,
  pipelining: number,
  timeoutMs: number,
  tls: TransportOptions,
) => Connection

/**
 * The factory of a transport's connections. undici is imported only by runs that use it: the import alone costs
 * ~170 ms CPU, a few % of a 10 s raw run's CPU.
 */
export async function connectionFactory(transport: 'raw' | 'undici'): Promise<ConnectionFactory> {
  if (transport === 'raw') {
    return (origin, _pipelining, timeoutMs, tls) => new RawConnection(new URL(origin), timeoutMs, tls)
  }
  const { UndiciConnection } = await import('./undici-connection.ts')
  return (origin, pipelining, timeoutMs, tls) => new UndiciConnection(origin, pipelining, timeoutMs, tls)
}
