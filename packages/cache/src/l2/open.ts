// Picks the L2 backend for the `l2` option.
import type { L2Option } from '../options.ts'
import type { L2Backend } from './backend.ts'
import { KeyvBackend } from './keyv.ts'
import { ClusterClient, type RedisClusterLike } from './redis-cluster.ts'
import { createRedisClient, RedisBackend, type RedisClientLike, type RedisTarget } from './redis.ts'

interface KeyvRedisLike {
  client: RedisClientLike
  isCluster(): boolean
}

function isKeyvRedis(s: object): s is KeyvRedisLike {
  const x = s as Partial<KeyvRedisLike>
  return (
    typeof x.isCluster === 'function' &&
    typeof x.client === 'object' &&
    x.client !== null &&
    typeof x.client.get === 'function' &&
    typeof x.client.sendCommand === 'function'
  )
}

function isKeyv(s: object): s is { store: object } {
  const x = s as { store?: unknown; opts?: unknown }
  return typeof x.store === 'object' && x.store !== null && typeof x.opts === 'object' && x.opts !== null
}

/** The server or cluster of a `{ redisUrl }` / `{ redisCluster }` option. */
export function redisTarget(option: L2Option | undefined): RedisTarget | undefined {
  if (option === undefined) return undefined
  if ('redisUrl' in option && typeof option.redisUrl === 'string') return option.redisUrl
  if ('redisCluster' in option && Array.isArray(option.redisCluster)) return option.redisCluster
  return undefined
}

export function openL2(option: L2Option, onClientError: (error: unknown) => void): L2Backend {
  const target = redisTarget(option)
  if (target !== undefined) return new RedisBackend(createRedisClient(target, onClientError), true)
  if (isKeyv(option)) return openL2(option.store as L2Option, onClientError)
  if (isKeyvRedis(option)) {
    const client = option.isCluster()
      ? new ClusterClient(option.client as unknown as RedisClusterLike)
      : option.client
    return new RedisBackend(client, false)
  }
  return new KeyvBackend(option as ConstructorParameters<typeof KeyvBackend>[0])
}
