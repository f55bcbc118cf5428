// The Redis pub/sub transport of the invalidation bus: a subscriber connection of its own, and a publisher
// that is the L2 client when both go to the same Redis (one connection less), else a second connection.
// Pub/sub is at-most-once: a resubscribe after a reconnect is reported as up() again (the bus flushes L1).
import type { BusConnection, BusTransportHooks } from './bus-transport.ts'
import {
  connectClient,
  createRedisClient,
  type RedisClientLike,
  type RedisTarget,
  shutdown,
} from './l2/redis.ts'

export class RedisBusConnection implements BusConnection {
  readonly #target: RedisTarget
  readonly #channel: string
  readonly #hooks: BusTransportHooks
  readonly #shared: Promise<RedisClientLike | undefined> | undefined
  /** The publishing client: the L2 client when shared, else #ownPub. */
  #pub: RedisClientLike | undefined
  #ownPub: RedisClientLike | undefined
  #sub: RedisClientLike | undefined
  #closed = false

  /** `shared`: a client (the L2 one, same server) to publish through instead of a connection of our own. */
  constructor(
    target: RedisTarget,
    channel: string,
    hooks: BusTransportHooks,
    shared?: Promise<RedisClientLike | undefined>,
  ) {
    this.#target = target
    this.#channel = channel
    this.#hooks = hooks
    this.#shared = shared
  }

  get writable(): boolean {
    return this.#pub?.isReady === true
  }

  /** Both clients are created and connected here; close() at any moment destroys what exists. */
  async start(): Promise<void> {
    const hooks = this.#hooks
    const onError = (): void => hooks.error()
    const sub = await createRedisClient(this.#target, onError, 'bus')
    this.#sub = sub
    let pub = await this.#shared?.catch(() => undefined)
    if (pub === undefined) {
      const own = await createRedisClient(this.#target, onError, 'bus')
      this.#ownPub = own
      pub = own
    }
    this.#pub = pub
    if (this.#closed) {
      await this.#destroy()
      return
    }
    pub.on('ready', () => hooks.writable())
    sub.on('ready', () => hooks.up())
    sub.on('end', () => hooks.down())
    sub.on('reconnecting', () => hooks.down())
    if (this.#ownPub !== undefined) connectClient(this.#ownPub).catch(() => {})
    await connectClient(sub)
    await sub.subscribe(this.#channel, (raw) => hooks.receive(raw))
    hooks.writable()
  }

  send(raw: string): Promise<unknown> {
    const pub = this.#pub
    if (pub === undefined) return Promise.reject(new Error('bus publisher not created'))
    return pub.publish(this.#channel, raw)
  }

  #destroy(): Promise<unknown> {
    return Promise.all([shutdown(this.#ownPub), shutdown(this.#sub)])
  }

  close(): Promise<unknown> {
    this.#closed = true
    return this.#destroy()
  }
}
