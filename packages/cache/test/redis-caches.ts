// The Redis fixture shared by the cache test files: a fresh namespace per test, caches made by
// `make()` closed and the namespace removed after each test (not a test file).
import { eventually, type RedisNamespace, redisNamespace, requireRedis } from '@hotpath/test-helpers'
import { afterEach, beforeAll, beforeEach } from 'vitest'
import { type Cache, type CacheOptions, createCache } from '../src/index.ts'

export interface RedisCaches {
  /** A cache on this test's namespace: `defaults()` overridden by `options`. */
  make(options?: CacheOptions): Cache
  /** Resolves once every given cache's bus is connected. */
  connected(...caches: Cache[]): Promise<void>
  /** Closes `caches` after this test too (caches built without make()). */
  track(...caches: Cache[]): void
  /** Closes every cache of this test now (e.g. before a private Redis it uses is stopped). */
  closeAll(): Promise<void>
  /** This test's Redis namespace. */
  readonly ns: RedisNamespace
}

/** Registers the hooks of the calling file; tests are skipped (locally) when Redis does not answer. */
export function useRedisCaches(defaults: () => CacheOptions): RedisCaches {
  let available = false
  let ns: RedisNamespace | undefined
  const open: Cache[] = []
  beforeAll(async () => {
    available = await requireRedis()
  })
  beforeEach((ctx) => {
    if (!available) ctx.skip()
    ns = redisNamespace()
  })
  const closeAll = async (): Promise<void> => {
    await Promise.all(open.splice(0).map((c) => c.close()))
  }
  afterEach(async () => {
    await closeAll()
    if (available) await ns?.cleanup()
  })
  return {
    make(options = {}) {
      const cache = createCache({ namespace: ns!.prefix, ...defaults(), ...options })
      open.push(cache)
      return cache
    },
    track(...caches) {
      open.push(...caches)
    },
    closeAll,
    async connected(...caches) {
      await eventually(() => caches.every((c) => c.stats().bus?.connected === true), {
        what: 'bus connected',
      })
    },
    get ns() {
      return ns!
    },
  }
}
