// The invalidation bus between instances sharing a namespace. Messages carry keys, tags or a clear
// (never values) and the sender's id. The transport (Redis pub/sub, or node:cluster IPC relayed by the
// primary) only moves the strings; what is kept the same for every transport lives here: validation,
// stats, a bounded queue while the transport cannot send, and the L1 flush after a reconnect (a
// transport that was down may have lost messages).
import { randomUUID } from 'node:crypto'
import type { BusConnection, BusTransportHooks } from './bus-transport.ts'
import { type BusMessageType, busChannel } from './channels.ts'

export type { BusMessageType }

/** Messages kept while the transport cannot send. */
const QUEUE_MAX = 10_000

export interface BusMessage {
  v: 1
  /** Sender id. */
  s: string
  t: BusMessageType
  keys?: string[]
  tags?: string[]
  /** Invalidation stamp (tags, clear). */
  at?: number
}

export interface BusHandlers {
  onMessage(message: BusMessage): void
  onReconnect(): void
  onConnectedChange(connected: boolean): void
}

export interface BusStats {
  published: number
  received: number
  reconnects: number
  errors: number
  /** Messages published after their L2 write failed (receivers may refetch the old L2 value). */
  afterL2Failure: number
  /** Messages queued while disconnected (sent on reconnect; oldest dropped past the bound). */
  queued: number
  dropped: number
  connected: boolean
}

function isMessage(x: unknown): x is BusMessage {
  if (typeof x !== 'object' || x === null) return false
  const m = x as BusMessage
  return (
    m.v === 1 &&
    typeof m.s === 'string' &&
    (m.t === 'key' || m.t === 'tags' || m.t === 'clear') &&
    (m.keys === undefined || (Array.isArray(m.keys) && m.keys.every((k) => typeof k === 'string'))) &&
    (m.tags === undefined || (Array.isArray(m.tags) && m.tags.every((k) => typeof k === 'string'))) &&
    (m.at === undefined || (typeof m.at === 'number' && Number.isFinite(m.at)))
  )
}

/** Opens the transport's connection of a bus (with the hooks the bus reacts to). */
export type OpenConnection = (hooks: BusTransportHooks) => BusConnection

export class Bus {
  readonly id: string = randomUUID()
  readonly stats: BusStats = {
    published: 0,
    received: 0,
    reconnects: 0,
    errors: 0,
    afterL2Failure: 0,
    queued: 0,
    dropped: 0,
    connected: false,
  }
  readonly #namespace: string
  readonly #handlers: BusHandlers
  readonly #conn: BusConnection
  #queue: Array<{ raw: string; type: BusMessageType }> = []
  readonly #inFlight = new Set<Promise<void>>()
  #upOnce = false
  #closed = false
  readonly started: Promise<void>

  constructor(namespace: string, handlers: BusHandlers, open: OpenConnection) {
    this.#namespace = namespace
    this.#handlers = handlers
    this.#conn = open({
      receive: (raw) => this.#receive(raw),
      up: this.#up,
      down: () => this.#setConnected(false),
      error: this.#onError,
      writable: this.#flush,
    })
    this.started = this.#conn.start()
    this.started.catch(() => {})
  }

  #diag(event: 'publish' | 'receive' | 'reconnect' | 'error', type?: BusMessageType): void {
    if (busChannel.hasSubscribers) busChannel.publish({ cache: this.#namespace, event, type })
  }

  #onError = (): void => {
    this.stats.errors++
    this.#diag('error')
  }

  #up = (): void => {
    if (this.#closed) return
    this.#setConnected(true)
    if (this.#upOnce) {
      this.stats.reconnects++
      this.#diag('reconnect')
      this.#handlers.onReconnect()
    }
    this.#upOnce = true
  }

  #setConnected(connected: boolean): void {
    if (this.stats.connected === connected) return
    this.stats.connected = connected
    this.#handlers.onConnectedChange(connected)
  }

  #receive(raw: string): void {
    let msg: unknown
    try {
      msg = JSON.parse(raw)
    } catch {
      this.#onError()
      return
    }
    if (!isMessage(msg)) {
      this.#onError()
      return
    }
    if (msg.s === this.id) return
    this.stats.received++
    this.#diag('receive', msg.t)
    this.#handlers.onMessage(msg)
  }

  /**
   * Fire and forget: a failed publish is counted, never thrown. While the transport cannot send,
   * messages wait in a bounded queue (oldest dropped) and go out once it can.
   */
  publish(
    type: BusMessageType,
    fields: { keys?: string[]; tags?: string[]; at?: number },
    afterL2Failure = false,
  ): void {
    if (afterL2Failure) this.stats.afterL2Failure++
    if (this.#closed) {
      this.#onError()
      return
    }
    const raw = JSON.stringify({ v: 1, s: this.id, t: type, ...fields } satisfies BusMessage)
    if (!this.#conn.writable || this.#queue.length > 0) {
      this.#enqueue(raw, type)
      return
    }
    this.#send(raw, type)
  }

  #send(raw: string, type: BusMessageType): void {
    this.stats.published++
    this.#diag('publish', type)
    let sent: Promise<unknown>
    try {
      sent = this.#conn.send(raw)
    } catch (error) {
      sent = Promise.reject(error)
    }
    const p = sent.then(
      () => {
        this.#inFlight.delete(p)
      },
      () => {
        this.#inFlight.delete(p)
        this.#onError()
      },
    )
    this.#inFlight.add(p)
  }

  #enqueue(raw: string, type: BusMessageType): void {
    if (this.#queue.length >= QUEUE_MAX) {
      this.#queue.shift()
      this.stats.dropped++
    }
    this.#queue.push({ raw, type })
    this.stats.queued++
  }

  #flush = (): void => {
    if (this.#closed || !this.#conn.writable) return
    const q = this.#queue
    this.#queue = []
    for (const m of q) this.#send(m.raw, m.type)
  }

  /** Waits (bounded by the caller) for queued and in-flight messages to be sent. */
  async drain(): Promise<void> {
    this.#flush()
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#setConnected(false)
    await this.#conn.close()
  }
}
