// Picks the L2 backend for the `l2` option.
import type { L2Option } from '../options.ts'
import type { L2Backend } from './backend.ts'
import { KeyvBackend } from './keyv.ts'
import { createRedisClient, RedisBackend, type RedisClientLike } from './redis.ts'

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
    typeof x.client.mGet === 'function' &&
    typeof x.client.sendCommand === 'function' &&
    !x.isCluster()
  )
}

function isKeyv(s: object): s is { store: object } {
  const x = s as { store?: unknown; opts?: unknown }
  return typeof x.store === 'object' && x.store !== null && typeof x.opts === 'object' && x.opts !== null
}

export function openL2(option: L2Option, onClientError: (error: unknown) => void): L2Backend {
  if ('redisUrl' in option && typeof option.redisUrl === 'string') {
    return new RedisBackend(createRedisClient(option.redisUrl, onClientError), true)
  }
  if (isKeyv(option)) return openL2(option.store as L2Option, onClientError)
  if (isKeyvRedis(option)) return new RedisBackend(option.client, false)
  return new KeyvBackend(option as ConstructorParameters<typeof KeyvBackend>[0])
}
