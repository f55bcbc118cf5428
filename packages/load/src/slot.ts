// One request slot: at most one request in flight; receives the response callbacks of either transport.
import type { Dispatcher } from 'undici'
import type { Connection } from './connection.ts'
import type { Engine } from './engine.ts'
import type { RawHandler } from './raw-connection.ts'
import type { Step } from './requests.ts'

export class Slot implements Dispatcher.DispatchHandler, RawHandler {
  readonly engine: Engine
  readonly conn: Connection
  readonly connection: number
  startedAt = 0
  /** When the request was really handed to the connection (startedAt is the intended time in the open model). */
  sentAt = 0
  status = 0
  bytes = 0
  steps: readonly Step[] = []
  step = 0
  chunks: Buffer[] | null = null
  busy = false

  constructor(engine: Engine, conn: Connection, connection: number) {
    this.engine = engine
    this.conn = conn
    this.connection = connection
  }

  // RawConnection callbacks.
  onStatus(status: number): void {
    this.status = status
  }
  onBody(data: Buffer, start: number, end: number): void {
    this.bytes += end - start
    if (this.chunks !== null) this.chunks.push(Buffer.from(data.subarray(start, end)))
  }
  onEnd(): void {
    this.engine.complete(this, null)
  }
  onError(error: Error): void {
    this.engine.complete(this, error)
  }

  // undici DispatchHandler callbacks.
  onRequestStart(): void {}
  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode
  }
  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.bytes += chunk.length
    if (this.chunks !== null) this.chunks.push(chunk)
  }
  onResponseEnd(): void {
    this.engine.complete(this, null)
  }
  onResponseError(_c: Dispatcher.DispatchController, error: Error): void {
    this.engine.complete(this, error)
  }

  send(startedAt: number): void {
    const step = this.steps[this.step]!
    this.startedAt = startedAt
    this.sentAt = performance.timeOrigin + performance.now()
    this.status = 0
    this.bytes = 0
    this.chunks = step.check.bodyContains === null ? null : []
    this.busy = true
    this.engine.inFlight++
    this.engine.tickSent++
    try {
      this.conn.dispatch(step, this)
    } catch (error) {
      this.engine.complete(this, error as Error)
    }
  }
}
