// The invalidation bus: Redis pub/sub between instances sharing a namespace. Messages carry keys, tags
// or a clear (never values) and the sender's id; pub/sub is at-most-once, so after a reconnect the
// receiver flushes its L1 and forgets synced invalidation stamps.
import { randomUUID } from 'node:crypto'
import { type BusMessageType, busChannel } from './channels.ts'
import { createRedisClient, type RedisClientLike } from './l2/redis.ts'

export type { BusMessageType }

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

export class Bus {
  readonly id: string = randomUUID()
  readonly stats: BusStats = { published: 0, received: 0, reconnects: 0, errors: 0, connected: false }
  readonly #url: string
  readonly #channel: string
  readonly #namespace: string
  readonly #handlers: BusHandlers
  #pub: RedisClientLike | undefined
  #sub: RedisClientLike | undefined
  #readyOnce = false
  #closed = false
  readonly started: Promise<void>

  constructor(url: string, channel: string, namespace: string, handlers: BusHandlers) {
    this.#url = url
    this.#channel = channel
    this.#namespace = namespace
    this.#handlers = handlers
    this.started = this.#start()
    this.started.catch(() => {})
  }

  #diag(event: 'publish' | 'receive' | 'reconnect' | 'error', type?: BusMessageType): void {
    if (busChannel.hasSubscribers) busChannel.publish({ cache: this.#namespace, event, type })
  }

  #onError = (): void => {
    this.stats.errors++
    this.#diag('error')
  }

  async #start(): Promise<void> {
    const pub = await createRedisClient(this.#url, this.#onError, 'bus')
    const sub = await createRedisClient(this.#url, this.#onError, 'bus')
    this.#pub = pub
    this.#sub = sub
    if (this.#closed) {
      pub.destroy()
      sub.destroy()
      return
    }
    sub.on('ready', () => {
      if (this.#closed) return
      this.#setConnected(true)
      if (this.#readyOnce) {
        this.stats.reconnects++
        this.#diag('reconnect')
        this.#handlers.onReconnect()
      }
      this.#readyOnce = true
    })
    sub.on('end', () => this.#setConnected(false))
    sub.on('reconnecting', () => this.#setConnected(false))
    pub.connect().catch(() => {})
    await sub.connect()
    await sub.subscribe(this.#channel, (raw) => this.#receive(raw))
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

  /** Fire and forget: a failed publish is counted, never thrown (the client has no offline queue). */
  publish(type: BusMessageType, fields: { keys?: string[]; tags?: string[]; at?: number }): void {
    const pub = this.#pub
    if (this.#closed || pub === undefined || !pub.isReady) {
      this.#onError()
      return
    }
    const msg: BusMessage = { v: 1, s: this.id, t: type, ...fields }
    this.stats.published++
    this.#diag('publish', type)
    pub.publish(this.#channel, JSON.stringify(msg)).catch(this.#onError)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#setConnected(false)
    this.#pub?.destroy()
    this.#sub?.destroy()
  }
}
