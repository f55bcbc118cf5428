// The connections of an engine: the raw HTTP/1.1 client or one undici Client, behind one small interface.
import { Client } from 'undici'
import { RawConnection } from './raw-connection.ts'
import type { Step } from './requests.ts'
import type { Slot } from './slot.ts'

/** One connection of the engine, whatever the transport. */
export interface Connection {
  dispatch(step: Step, slot: Slot): void
  destroy(): void
  /**
   * Opens the connection ahead of the run (resolves once it is usable, or failed: a failure is not thrown, the
   * run's requests report it). Raw: the TCP connect. undici: one HEAD of `path` (undici has no bare connect).
   */
  connect(path: string): Promise<void>
  /** Enforces the request deadline (raw transport; undici has its own timers). */
  sweep?(now: number): void
}

class UndiciConnection implements Connection {
  private readonly client: Client
  constructor(client: Client) {
    this.client = client
  }
  dispatch(step: Step, slot: Slot): void {
    this.client.dispatch(step.dispatch, slot)
  }
  destroy(): void {
    this.client.destroy().catch(() => {})
  }
  connect(path: string): Promise<void> {
    return this.client.request({ method: 'HEAD', path }).then(
      (res) => res.body.dump(),
      () => {},
    )
  }
}

export function createConnection(
  transport: 'raw' | 'undici',
  origin: string,
  pipelining: number,
  timeoutMs: number,
): Connection {
  if (transport === 'raw') return new RawConnection(new URL(origin), timeoutMs)
  return new UndiciConnection(
    new Client(origin, {
      pipelining,
      connectTimeout: timeoutMs,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 600_000,
    }),
  )
}
