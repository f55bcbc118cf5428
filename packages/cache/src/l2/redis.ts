// L2 backend talking to a @redis/client client directly: used for `{ redisUrl }` and for a
// @keyv/redis adapter (its client, same keys and values), which keeps L2 hits close to raw GET speed.
import { L2NotReadyError, PeerMissingError } from '../errors.ts'
import type { L2Backend } from './backend.ts'
import type { RedisClientLike } from './redis-client.ts'
import { ClusterClient, type RedisClusterLike } from './redis-cluster.ts'

export type { RedisClientLike }

const noop = (): void => {}

const RELEASE_SCRIPT =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
/** INCRBY, and the window's TTL on the first increment (a key without TTL): atomic, one round trip. */
const INCREMENT_SCRIPT =
  "local n = redis.call('incrby', KEYS[1], ARGV[1]) if redis.call('pttl', KEYS[1]) < 0 then redis.call('pexpire', KEYS[1], ARGV[2]) end return n"
const RENEW_SCRIPT =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"

/** Reconnect with capped exponential backoff; never give up (the breaker stops calls meanwhile). */
export function reconnectStrategy(retries: number): number {
  return Math.min(25 * 2 ** Math.min(retries, 10), 1000) + Math.floor(Math.random() * 25)
}

/** Where a Redis connection goes: one server's URL, or the root node URLs of a Redis Cluster. */
export type RedisTarget = string | readonly string[]

/** Whether two targets are the same server or cluster (the bus then publishes through the L2 client). */
export function sameTarget(a: RedisTarget, b: RedisTarget): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b
  return a.length === b.length && a.every((url, i) => url === b[i])
}

interface RedisModule {
  createClient(options: object): RedisClientLike
  createCluster(options: object): RedisClusterLike
}

export async function createRedisClient(
  target: RedisTarget,
  onError: (error: unknown) => void,
  option = 'l2',
): Promise<RedisClientLike> {
  let mod: RedisModule
  try {
    mod = (await import('@redis/client')) as unknown as RedisModule
  } catch (error) {
    throw new PeerMissingError(
      '@redis/client',
      `${option}: { ${typeof target === 'string' ? 'redisUrl' : 'redisCluster'} }`,
      error,
    )
  }
  const connection = { disableOfflineQueue: true, socket: { connectTimeout: 2_000, reconnectStrategy } }
  const client =
    typeof target === 'string'
      ? mod.createClient({ url: target, ...connection })
      : new ClusterClient(
          mod.createCluster({ rootNodes: target.map((url) => ({ url })), defaults: connection }),
        )
  client.on('error', onError)
  return client
}

/**
 * Connects `client`, remembering the attempt so shutdown() can wait for it: a client destroyed while
 * its socket is being created keeps that socket (and the process) alive.
 */
const connecting = new WeakMap<RedisClientLike, Promise<unknown>>()
export function connectClient(client: RedisClientLike): Promise<unknown> {
  const p = client.connect()
  const settled = p.then(noop, noop)
  connecting.set(client, settled)
  return p
}

/** Destroys a client at any moment: after its connect attempt settled (bounded), never throws. */
export async function shutdown(client: RedisClientLike | undefined): Promise<void> {
  if (client === undefined) return
  const attempt = connecting.get(client)
  if (attempt !== undefined) {
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      attempt,
      new Promise((resolve) => {
        timer = setTimeout(resolve, 2_500)
        timer.unref()
      }),
    ])
    clearTimeout(timer)
  }
  if (client.isOpen) {
    try {
      client.destroy()
    } catch {
      // already closed
    }
  }
}

export class RedisBackend implements L2Backend {
  readonly kind = 'redis' as const
  #client: RedisClientLike | undefined
  readonly #created: Promise<RedisClientLike>
  readonly #ready: Promise<RedisClientLike>
  readonly #owned: boolean
  #everReady = false
  #firstError = false
  readonly #firstAttempt: Promise<void>
  #closed = false

  /** `source` is a client (not owned: the caller closes it) or a promise of one we created (owned). */
  /** The client once created (owned ones only), e.g. to share its connection with the bus publisher. */
  get created(): Promise<RedisClientLike | undefined> {
    return this.#owned ? this.#created : Promise.resolve(undefined)
  }

  /** Called on every (re)connect of the client: Redis answers again. */
  onReady: (() => void) | undefined

  constructor(source: RedisClientLike | Promise<RedisClientLike>, owned: boolean) {
    this.#owned = owned
    let attempted: () => void = noop
    this.#firstAttempt = new Promise((resolve) => {
      attempted = resolve
    })
    this.#created = Promise.resolve(source).then((client) => {
      this.#client = client
      if (typeof client.on !== 'function') return client
      client.on('ready', () => {
        attempted()
        this.onReady?.()
      })
      client.on('error', () => {
        if (!this.#everReady) this.#firstError = true
        attempted()
      })
      return client
    })
    this.#ready = this.#created.then(async (client) => {
      if (this.#closed) throw new L2NotReadyError()
      if (!client.isOpen) await connectClient(client)
      this.#everReady = true
      return client
    })
    this.#ready.then(() => attempted(), attempted)
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

  /** Commands written in the same tick go out as one pipeline; chunks keep the write buffer bounded. */
  async setMany(keys: string[], value: string, ttlMs: number): Promise<void> {
    const c = await this.#use()
    const px = String(Math.max(1, Math.ceil(ttlMs)))
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = keys.slice(i, i + 1000)
      await Promise.all(chunk.map((k) => c.sendCommand(['SET', k, value, 'PX', px])))
    }
  }

  /** Settles on the first connect, or on the first connection error before it (Redis is down). */
  pending(): Promise<void> | undefined {
    if (this.#everReady || this.#closed || this.#firstError) return undefined
    return this.#firstAttempt
  }

  /** The first connect (rejects only when closed before it). */
  connected(): Promise<void> {
    return this.#ready.then(noop)
  }

  async delete(key: string): Promise<boolean> {
    const c = await this.#use()
    return (await c.del(key)) > 0
  }

  /** DEL in chunks (one command per 1000 keys, written together): the write buffer stays bounded. */
  async deleteMany(keys: string[]): Promise<number> {
    const c = await this.#use()
    const counts: Promise<number>[] = []
    for (let i = 0; i < keys.length; i += 1000) counts.push(c.del(keys.slice(i, i + 1000)))
    return (await Promise.all(counts)).reduce((a, b) => a + b, 0)
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

  async incrementBy(key: string, by: number, ttlMs: number): Promise<number> {
    const c = await this.#use()
    const r = await c.eval(INCREMENT_SCRIPT, {
      keys: [key],
      arguments: [String(by), String(Math.max(1, Math.ceil(ttlMs)))],
    })
    return Number(r)
  }

  async renewIfEquals(key: string, token: string, ttlMs: number): Promise<boolean> {
    const c = await this.#use()
    const r = await c.eval(RENEW_SCRIPT, {
      keys: [key],
      arguments: [token, String(Math.max(1, Math.ceil(ttlMs)))],
    })
    return r === 1
  }

  /** Safe at any moment: a client still being created is destroyed as soon as it exists. */
  async close(): Promise<void> {
    this.#closed = true
    if (!this.#owned) return
    const c = this.#client ?? (await this.#created.catch(() => undefined))
    await shutdown(c)
  }
}
