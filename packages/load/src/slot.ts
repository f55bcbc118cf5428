// One request slot: at most one request in flight; receives the response callbacks of either transport and keeps
// what the step's checks and captures need (body, headers) and the iteration's captured variables.
import type { Dispatcher } from 'undici'
import { type CapturedResponse, headerFromHead, type Vars } from './capture.ts'
import type { Connection } from './connection.ts'
import type { RawHandler } from './raw-connection.ts'
import type { PlanStep, Step } from './requests.ts'
import { now } from './clock.ts'

/** What a slot reports to (the engine), declared here so that slot.ts does not import engine.ts. */
export interface SlotOwner {
  /** A request of this slot goes out now (in flight, and sent in this second). */
  requestSent(): void
  /** Its response ended (error null) or it failed. */
  complete(slot: Slot, error: Error | null): void
}

export class Slot implements Dispatcher.DispatchHandler, RawHandler, CapturedResponse {
  readonly engine: SlotOwner
  readonly conn: Connection
  readonly connection: number
  startedAt = 0
  /** When the request was really handed to the connection (startedAt is the intended time in the open model). */
  sentAt = 0
  status = 0
  bytes = 0
  /** The iteration's steps and the index of the one in flight. */
  plan: readonly PlanStep[] = []
  step = 0
  /** The step in flight (null when it could not be built). */
  current: Step | null = null
  /** Values captured so far in this iteration (null until a step captures). */
  vars: Vars | null = null
  chunks: Buffer[] | null = null
  /** Response head (raw transport) or headers (undici), kept for a header capture. */
  head: string | Record<string, string | string[] | undefined> | null = null
  keepHeaders = false
  busy = false
  /** Think time before the next step: its timer (the slot stays busy meanwhile). */
  thinking: NodeJS.Timeout | null = null

  constructor(engine: SlotOwner, conn: Connection, connection: number) {
    this.engine = engine
    this.conn = conn
    this.connection = connection
  }

  // RawConnection callbacks.
  onStatus(status: number): void {
    this.status = status
  }
  onHead(head: string): void {
    this.head = head
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
  onResponseStart(
    _c: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    this.status = statusCode
    if (this.keepHeaders) this.head = headers
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

  // CapturedResponse, for the step's captures.
  body(): string {
    return this.chunks === null ? '' : Buffer.concat(this.chunks).toString('utf8')
  }
  header(name: string): string | undefined {
    const h = this.head
    if (h === null) return undefined
    if (typeof h === 'string') return headerFromHead(h, name)
    const v = h[name]
    return Array.isArray(v) ? v.join(', ') : v
  }

  /** Starts an iteration: its first step goes out now. */
  begin(plan: readonly PlanStep[], startedAt: number): void {
    this.plan = plan
    this.step = 0
    this.vars = null
    this.send(startedAt)
  }

  send(startedAt: number): void {
    const entry = this.plan[this.step]!
    this.startedAt = startedAt
    this.sentAt = now()
    this.status = 0
    this.bytes = 0
    this.head = null
    this.busy = true
    this.engine.requestSent()
    this.current = null
    this.chunks = null
    try {
      const step = typeof entry === 'function' ? entry(this.vars ?? {}) : entry
      this.current = step
      this.chunks = step.keepBody ? [] : null
      this.keepHeaders = step.keepHeaders
      this.conn.dispatch(step, this)
    } catch (error) {
      this.engine.complete(this, error as Error)
    }
  }
}
