// A Redis Cluster seen through the slice of a client the cache uses (RedisClientLike), so the Redis backend,
// the bus and the locks work on it unchanged: every command routes by its key, multi-key reads and deletes go
// per key (never CROSSSLOT), PUBLISH goes to any node (the cluster forwards it to every subscriber).
//
// Failover: @redis/client refreshes its slot map only on a MOVED/ASK reply. A crashed master sends none, so
// after its replica is promoted the client keeps sending that master's slots to the dead address ("The client
// is offline") for as long as the process lives. On a connection-level failure we ask the cluster for its slot
// map again (at most every REDISCOVER_INTERVAL), which routes the promoted replica's slots to it.
import { isOutageReply } from './guard.ts'
import type { RedisClientLike } from './redis-client.ts'

/** How often, at most, a failing cluster re-reads its slot map. */
const REDISCOVER_INTERVAL = 250

/** The slice of @redis/client's RedisCluster used here (structural: @redis/client is an optional peer). */
export interface RedisClusterLike {
  readonly isOpen: boolean
  connect(): Promise<unknown>
  sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: string[]): Promise<unknown>
  publish(channel: string, message: string): Promise<number>
  subscribe(channel: string, listener: (message: string) => void): Promise<void>
  duplicate(): RedisClusterLike
  destroy(): void
  close(): Promise<void>
  on(event: string, listener: (...args: unknown[]) => void): unknown
  readonly masters: ReadonlyArray<{ client?: { isReady?: boolean; options?: unknown } }>
  /** @redis/client internals (v5): the slot map and its refresh. */
  readonly _slots?: { rediscover(startWith: { options?: unknown }): Promise<void> }
}

/** A failure that says the node is unreachable (not a reply of the server about one key). */
export function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const name = error.constructor?.name ?? ''
  return (
    name === 'ClientOfflineError' ||
    name === 'ClientClosedError' ||
    name === 'SocketClosedUnexpectedlyError' ||
    isOutageReply(error) ||
    /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT/.test(error.message)
  )
}

interface SetOptions {
  condition?: 'NX'
  expiration?: { type: 'PX'; value: number }
}

export class ClusterClient implements RedisClientLike {
  readonly #cluster: RedisClusterLike
  #lastRediscover = Number.NEGATIVE_INFINITY
  /** Slot-map refreshes started after a failure (tests and stats read it). */
  rediscovers = 0

  constructor(cluster: RedisClusterLike) {
    this.#cluster = cluster
  }

  get isOpen(): boolean {
    return this.#cluster.isOpen
  }

  /** A cluster has no single ready state: a node that is down fails its own keys, and the guard counts it. */
  get isReady(): boolean {
    return this.#cluster.isOpen
  }

  connect(): Promise<unknown> {
    return this.#cluster.connect()
  }

  #run<T>(key: string | undefined, readonly: boolean, args: string[]): Promise<T> {
    return (this.#cluster.sendCommand(key, readonly, args) as Promise<T>).catch((error: unknown) => {
      if (isConnectionFailure(error)) this.#rediscover()
      throw error
    })
  }

  #rediscover(): void {
    const slots = this.#cluster._slots
    const now = performance.now()
    if (slots === undefined || now - this.#lastRediscover < REDISCOVER_INTERVAL) return
    this.#lastRediscover = now
    this.rediscovers++
    // Start from a master that still answers; the refresh falls back to the root nodes by itself.
    const from = this.#cluster.masters.find((m) => m.client?.isReady === true)?.client ?? {}
    slots.rediscover(from).catch(() => {})
  }

  get(key: string): Promise<string | null> {
    return this.#run(key, true, ['GET', key])
  }

  sendCommand(args: string[]): Promise<unknown> {
    return this.#run(args[1], args[0] === 'GET', args)
  }

  /** One GET per key: keys of one call live in different slots (MGET would fail with CROSSSLOT). */
  mGet(keys: string[]): Promise<(string | null)[]> {
    return Promise.all(keys.map((k) => this.get(k)))
  }

  set(key: string, value: string, options?: SetOptions): Promise<string | null> {
    const args = ['SET', key, value]
    if (options?.expiration !== undefined) args.push('PX', String(options.expiration.value))
    if (options?.condition === 'NX') args.push('NX')
    return this.#run(key, false, args)
  }

  async del(keys: string | string[]): Promise<number> {
    const list = typeof keys === 'string' ? [keys] : keys
    const counts = await Promise.all(list.map((k) => this.#run<number>(k, false, ['DEL', k])))
    return counts.reduce((a, b) => a + b, 0)
  }

  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown> {
    const { keys, arguments: args } = options
    return this.#run(keys[0], false, ['EVAL', script, String(keys.length), ...keys, ...args])
  }

  publish(channel: string, message: string): Promise<number> {
    return this.#cluster.publish(channel, message)
  }

  subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    return this.#cluster.subscribe(channel, listener)
  }

  duplicate(): RedisClientLike {
    return new ClusterClient(this.#cluster.duplicate())
  }

  destroy(): void {
    this.#cluster.destroy()
  }

  close(): Promise<void> {
    return this.#cluster.close()
  }

  /** Client events in the cluster's terms: `ready` is the first connect, node errors are errors. */
  on(event: string, listener: (...args: unknown[]) => void): unknown {
    if (event === 'ready') return this.#cluster.on('connect', listener)
    if (event === 'end') return this.#cluster.on('disconnect', listener)
    if (event === 'error') {
      this.#cluster.on('node-error', listener)
      return this.#cluster.on('error', listener)
    }
    return this
  }
}
