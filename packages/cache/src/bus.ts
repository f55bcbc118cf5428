// The invalidation bus: Redis pub/sub between instances sharing a namespace. Messages carry keys, tags
// or a clear (never values) and the sender's id; pub/sub is at-most-once, so after a reconnect the
// receiver flushes its L1 and forgets synced invalidation stamps.
import { randomUUID } from 'node:crypto'
import { type BusMessageType, busChannel } from './channels.ts'
import {
  connectClient,
  createRedisClient,
  type RedisClientLike,
  type RedisTarget,
  shutdown,
} from './l2/redis.ts'

export type { BusMessageType }

/** Messages kept while the publisher is disconnected. */
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
  readonly #target: RedisTarget
  readonly #channel: string
  readonly #namespace: string
  readonly #handlers: BusHandlers
  /** The publishing client: the L2 client when shared, else #ownPub. */
  #pub: RedisClientLike | undefined
  #ownPub: RedisClientLike | undefined
  readonly #shared: Promise<RedisClientLike | undefined> | undefined
  #sub: RedisClientLike | undefined
  #queue: string[] = []
  readonly #inFlight = new Set<Promise<void>>()
  #readyOnce = false
  #closed = false
  readonly started: Promise<void>

  /** `shared`: a client (the L2 one, same server) to publish through instead of a connection of our own. */
  constructor(
    target: RedisTarget,
    channel: string,
    namespace: string,
    handlers: BusHandlers,
    shared?: Promise<RedisClientLike | undefined>,
  ) {
    this.#shared = shared
    this.#target = target
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

  /** Both clients are created and connected here; close() at any moment destroys what exists. */
  async #start(): Promise<void> {
    const sub = await createRedisClient(this.#target, this.#onError, 'bus')
    this.#sub = sub
    let pub = await this.#shared?.catch(() => undefined)
    if (pub === undefined) {
      const own = await createRedisClient(this.#target, this.#onError, 'bus')
      this.#ownPub = own
      pub = own
    }
    this.#pub = pub
    if (this.#closed) {
      await this.#destroy()
      return
    }
    pub.on('ready', this.#flush)
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
    if (this.#ownPub !== undefined) connectClient(this.#ownPub).catch(() => {})
    await connectClient(sub)
    await sub.subscribe(this.#channel, (raw) => this.#receive(raw))
    this.#flush()
  }

  #destroy(): Promise<unknown> {
    return Promise.all([shutdown(this.#ownPub), shutdown(this.#sub)])
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
   * Fire and forget: a failed publish is counted, never thrown. While the publisher is not connected,
   * messages wait in a bounded queue (oldest dropped) and go out on (re)connect.
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
    const msg = JSON.stringify({ v: 1, s: this.id, t: type, ...fields } satisfies BusMessage)
    const pub = this.#pub
    if (pub === undefined || !pub.isReady || this.#queue.length > 0) {
      this.#enqueue(msg)
      return
    }
    this.#send(pub, msg, type)
  }

  #send(pub: RedisClientLike, msg: string, type: BusMessageType | undefined): void {
    this.stats.published++
    this.#diag('publish', type)
    const p = pub.publish(this.#channel, msg).then(
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

  #enqueue(msg: string): void {
    if (this.#queue.length >= QUEUE_MAX) {
      this.#queue.shift()
      this.stats.dropped++
    }
    this.#queue.push(msg)
    this.stats.queued++
  }

  #flush = (): void => {
    const pub = this.#pub
    if (this.#closed || pub === undefined || !pub.isReady) return
    const q = this.#queue
    this.#queue = []
    for (const msg of q) this.#send(pub, msg, (JSON.parse(msg) as BusMessage).t)
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
    await this.#destroy()
  }
}
