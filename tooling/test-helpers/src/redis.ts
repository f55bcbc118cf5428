import { createClient } from '@redis/client'
import { redisUrl } from './env.ts'
import { uniqueId } from './ids.ts'

export interface RedisNamespace {
  /** Unique key prefix (namespace) for this test, e.g. `hp_test_lx2k_ab12cd34`. */
  readonly prefix: string
  /** Deletes every key under the prefix. */
  cleanup(): Promise<void>
}

/** An isolated key prefix on the shared Redis; `cleanup()` removes what the test wrote. */
export function redisNamespace(url: string = redisUrl()): RedisNamespace {
  const prefix = uniqueId('hp_test')
  return {
    prefix,
    async cleanup() {
      const client = createClient({ url, socket: { connectTimeout: 2000, reconnectStrategy: false } })
      client.on('error', () => {})
      await client.connect()
      try {
        for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
          if (keys.length > 0) await client.unlink(keys)
        }
      } finally {
        client.destroy()
      }
    },
  }
}
