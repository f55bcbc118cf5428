// L2 backend talking to a @redis/client client directly: used for `{ redisUrl }` and for a
// @keyv/redis adapter (its client, same keys and values), which keeps L2 hits close to raw GET speed.
import { L2NotReadyError, PeerMissingError } from '../errors.ts'
import type { L2Backend } from './backend.ts'

/** The slice of @redis/client's client that the cache uses (kept structural: @redis/client is optional). */
export interface RedisClientLike {
  readonly isOpen: boolean
  readonly isReady: boolean
  connect(): Promise<unknown>
  get(key: string): Promise<string | null>
  sendCommand(args: string[]): Promise<unknown>
  mGet(keys: string[]): Promise<(string | null)[]>
  set(key: string, value: string, options?: object): Promise<string | null>
  del(keys: string | string[]): Promise<number>
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
  publish(channel: string, message: string): Promise<number>
  subscribe(channel: string, listener: (message: string) => void): Promise<void>
  duplicate(): RedisClientLike
  destroy(): void
  close?(): Promise<void>
  on(event: string, listener: (...args: unknown[]) => void): unknown
}

const RELEASE_SCRIPT =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"

/** Reconnect with capped exponential backoff; never give up (the breaker stops calls meanwhile). */
export function reconnectStrategy(retries: number): number {
  return Math.min(25 * 2 ** Math.min(retries, 10), 1000) + Math.floor(Math.random() * 25)
}

export async function createRedisClient(
  url: string,
  onError: (error: unknown) => void,
  option = 'l2',
): Promise<RedisClientLike> {
  let mod: { createClient(options: object): RedisClientLike }
  try {
    mod = (await import('@redis/client')) as unknown as typeof mod
  } catch (error) {
    throw new PeerMissingError('@redis/client', `${option}: { redisUrl }`, error)
  }
  const client = mod.createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 2_000, reconnectStrategy },
  })
  client.on('error', onError)
  return client
}

export class RedisBackend implements L2Backend {
  readonly kind = 'redis' as const
  #client: RedisClientLike | undefined
  readonly #created: Promise<RedisClientLike>
  readonly #ready: Promise<RedisClientLike>
  readonly #owned: boolean
  #everReady = false
  #closed = false

  /** `source` is a client (not owned: the caller closes it) or a promise of one we created (owned). */
  constructor(source: RedisClientLike | Promise<RedisClientLike>, owned: boolean) {
    this.#owned = owned
    this.#created = Promise.resolve(source).then((client) => {
      this.#client = client
      return client
    })
    this.#ready = this.#created.then(async (client) => {
      if (!client.isOpen && !this.#closed) await client.connect()
      this.#everReady = true
      return client
    })
    this.#ready.catch(() => {})
  }

  /** The connected client, or a promise of it before the first connect (bounded by the caller's deadline). */
  #use(): RedisClientLike | Promise<RedisClientLike> {
    const c = this.#client
    if (c?.isReady) return c
    if (!this.#everReady) return this.#ready
    throw new L2NotReadyError()
  }

  /** GET through sendCommand: the same command without the per-call parser object of `client.get`. */
  get(key: string): Promise<unknown> {
    const c = this.#use()
    return c instanceof Promise ? c.then((cl) => cl.sendCommand(['GET', key])) : c.sendCommand(['GET', key])
  }

  async getMany(keys: string[]): Promise<unknown[]> {
    const c = await this.#use()
    return c.mGet(keys)
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    const c = await this.#use()
    await c.set(key, value, { expiration: { type: 'PX', value: Math.max(1, Math.ceil(ttlMs)) } })
  }

  async delete(key: string): Promise<boolean> {
    const c = await this.#use()
    return (await c.del(key)) > 0
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    const c = await this.#use()
    const r = await c.set(key, value, {
      condition: 'NX',
      expiration: { type: 'PX', value: Math.max(1, Math.ceil(ttlMs)) },
    })
    return r === 'OK'
  }

  async deleteIfEquals(key: string, token: string): Promise<void> {
    const c = await this.#use()
    await c.eval(RELEASE_SCRIPT, { keys: [key], arguments: [token] })
  }

  async close(): Promise<void> {
    this.#closed = true
    if (!this.#owned) return
    const c = this.#client ?? (await this.#created.catch(() => undefined))
    c?.destroy()
  }
}
