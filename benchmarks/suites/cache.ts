// @hotpath/cache against the libraries users compare it with: raw lru-cache, keyv (memory), cacheable,
// cache-manager, Bentocache (memory); and on Redis: raw @redis/client GET and keyv + @keyv/redis.
// 10k pre-generated keys, ~100-byte values, all hits. Targets encode the ratios of issue 3.
import { createCache } from '@hotpath/cache'
import KeyvRedis from '@keyv/redis'
import { createClient } from '@redis/client'
import { BentoCache, bentostore } from 'bentocache'
import { memoryDriver } from 'bentocache/drivers/memory'
import { createCache as createCacheManager } from 'cache-manager'
import { Cacheable } from 'cacheable'
import { Keyv } from 'keyv'
import { LRUCache } from 'lru-cache'
import { asyncOpsPerSecond, concurrentOpsPerSecond, opsPerSecond, retainedHeapBytes } from '../src/measure.ts'
import { defineSuite } from '../src/suite.ts'

const N = 10_000
const mask = 8191 // power of two below 10k: index without a modulo in the loop
const keys = Array.from({ length: N }, (_, i) => `user:${i}`)
const makeValue = (i: number): string =>
  JSON.stringify({
    id: i,
    name: `user-${i}`,
    email: `user-${i}@example.com`,
    role: 'member',
    score: i % 1000,
  })
const values = keys.map((_, i) => makeValue(i))
const redisUrl = process.env.HOTPATH_REDIS_URL ?? 'redis://127.0.0.1:6379'
const HOUR = 3600_000

// ---- in-memory contenders
const lru = new LRUCache<string, string>({ max: 20_000 })
// For context only: lru-cache doing the per-entry TTL bookkeeping that a cache with TTLs needs.
const lruTtl = new LRUCache<string, string>({ max: 20_000, ttl: HOUR })
const ours = createCache({ namespace: 'bench-l1', ttl: HOUR, l1: { max: 20_000 } })
const keyvMemory = new Keyv()
const cacheable = new Cacheable()
const cacheManager = createCacheManager()
const bento = new BentoCache({
  default: 'memory',
  stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: 20_000 })) },
})
const rawAsync = async (key: string): Promise<string | undefined> => lru.get(key)
const factory = (): string => 'never called on a hit'

// ---- Redis contenders (L2 only: every get is a Redis round trip)
const redisNs = `hp_bench_${process.pid}`
const raw = createClient({ url: redisUrl })
raw.on('error', () => {})
const oursL2 = createCache({ namespace: redisNs, ttl: HOUR, l1: false, l2: { redisUrl }, l2Timeout: 1000 })
const keyvRedis = new Keyv(new KeyvRedis(redisUrl), { namespace: `${redisNs}-keyv` })
const IN_FLIGHT = 100
const REDIS_MS = 700

// ---- memory: 100k entries
const MEM_N = 100_000
const memKeys = Array.from({ length: MEM_N }, (_, i) => `user:${i}`)

export default defineSuite({
  name: 'cache',
  title:
    '@hotpath/cache vs lru-cache, keyv, cacheable, cache-manager, Bentocache (10k keys, ~100-byte values, hits)',
  unit: 'ops/s',
  rounds: 5,
  baseline: {
    peek: 'lru-cache.get (sync)',
    get: 'await async fn returning lru-cache.get',
    getOrSet: 'bentocache getOrSet',
    redis: '@redis/client GET',
    memory: 'lru-cache 100k entries',
  },
  async setup() {
    for (let i = 0; i < N; i++) {
      const k = keys[i]!
      const v = values[i]!
      lru.set(k, v)
      lruTtl.set(k, v)
      await ours.set(k, v)
      await keyvMemory.set(k, v, HOUR)
      await cacheable.set(k, v, HOUR)
      await cacheManager.set(k, v, HOUR)
      await bento.set({ key: k, value: v, ttl: HOUR })
    }
    await raw.connect()
    for (let i = 0; i < N; i += 500) {
      const batch = keys.slice(i, i + 500)
      await Promise.all(batch.map((k, j) => raw.set(`${redisNs}-raw:${k}`, values[i + j]!, { PX: HOUR })))
      await Promise.all(batch.map((k, j) => oursL2.set(k, values[i + j]!)))
      await Promise.all(batch.map((k, j) => keyvRedis.set(k, values[i + j]!, HOUR)))
    }
    // sanity: every contender really hits
    const k = keys[123]!
    const expected = values[123]
    const got = [
      lru.get(k),
      ours.peek(k),
      await ours.get(k),
      await keyvMemory.get(k),
      await cacheable.get(k),
      await cacheManager.get(k),
      await bento.get({ key: k }),
      await raw.get(`${redisNs}-raw:${k}`),
      await oursL2.get(k),
      await keyvRedis.get(k),
    ]
    if (!got.every((g) => g === expected)) throw new Error(`a contender misses: ${JSON.stringify(got)}`)
  },
  async teardown() {
    // honesty checks: every measured @hotpath/cache read was a hit of the tier it claims to measure
    const l1 = ours.stats()
    const l2 = oursL2.stats()
    if (l1.misses !== 0 || l1.l2Hits !== 0) throw new Error(`L1 contender missed: ${JSON.stringify(l1)}`)
    if (l2.misses !== 0 || l2.l2Timeouts !== 0 || l2.l2Errors !== 0) {
      throw new Error(`L2 contender missed or failed: ${JSON.stringify(l2)}`)
    }
    for await (const batch of raw.scanIterator({ MATCH: `${redisNs}*`, COUNT: 1000 })) {
      if (batch.length > 0) await raw.unlink(batch)
    }
    raw.destroy()
    await Promise.all([
      ours.close(),
      oursL2.close(),
      bento.disconnectAll(),
      keyvRedis.disconnect(),
      cacheable.disconnect(),
    ])
  },
  contenders: [
    // peek: synchronous L1 hit
    {
      group: 'peek',
      name: 'lru-cache.get (sync)',
      measure: () => opsPerSecond((i) => lru.get(keys[i & mask]!), 200),
    },
    {
      group: 'peek',
      name: '@hotpath/cache peek',
      measure: () => opsPerSecond((i) => ours.peek(keys[i & mask]!), 200),
    },
    {
      group: 'peek',
      name: 'lru-cache.get with ttl (context)',
      measure: () => opsPerSecond((i) => lruTtl.get(keys[i & mask]!), 200),
    },

    // awaited get: L1 hit
    {
      group: 'get',
      name: 'await async fn returning lru-cache.get',
      measure: () => asyncOpsPerSecond((i) => rawAsync(keys[i & mask]!)),
    },
    {
      group: 'get',
      name: '@hotpath/cache get',
      measure: () => asyncOpsPerSecond((i) => ours.get(keys[i & mask]!)),
    },
    {
      group: 'get',
      name: 'cache-manager get',
      measure: () => asyncOpsPerSecond((i) => cacheManager.get(keys[i & mask]!)),
    },
    {
      group: 'get',
      name: 'bentocache get',
      measure: () => asyncOpsPerSecond((i) => bento.get({ key: keys[i & mask]! })),
    },
    {
      group: 'get',
      name: 'keyv (memory) get',
      measure: () => asyncOpsPerSecond((i) => keyvMemory.get(keys[i & mask]!)),
    },
    {
      group: 'get',
      name: 'cacheable get',
      measure: () => asyncOpsPerSecond((i) => cacheable.get(keys[i & mask]!)),
    },

    // getOrSet: L1 hit
    {
      group: 'getOrSet',
      name: 'bentocache getOrSet',
      measure: () => asyncOpsPerSecond((i) => bento.getOrSet({ key: keys[i & mask]!, factory, ttl: HOUR })),
    },
    {
      group: 'getOrSet',
      name: '@hotpath/cache getOrSet',
      measure: () => asyncOpsPerSecond((i) => ours.getOrSet(keys[i & mask]!, factory)),
    },
    {
      group: 'getOrSet',
      name: 'cache-manager wrap',
      measure: () => asyncOpsPerSecond((i) => cacheManager.wrap(keys[i & mask]!, factory, HOUR)),
    },

    // Redis GET hit, 100 in flight
    {
      group: 'redis',
      name: '@redis/client GET',
      measure: () =>
        concurrentOpsPerSecond((i) => raw.get(`${redisNs}-raw:${keys[i & mask]!}`), IN_FLIGHT, REDIS_MS),
    },
    {
      group: 'redis',
      name: '@hotpath/cache get (L2 Redis only)',
      measure: () => concurrentOpsPerSecond((i) => oursL2.get(keys[i & mask]!), IN_FLIGHT, REDIS_MS),
    },
    {
      group: 'redis',
      name: 'keyv + @keyv/redis get',
      measure: () => concurrentOpsPerSecond((i) => keyvRedis.get(keys[i & mask]!), IN_FLIGHT, REDIS_MS),
    },

    // memory: heap kept by 100k entries (values built inside, keys shared)
    {
      group: 'memory',
      name: 'lru-cache 100k entries',
      unit: 'bytes',
      better: 'lower',
      measure: () =>
        retainedHeapBytes(() => {
          const c = new LRUCache<string, string>({ max: MEM_N })
          for (let i = 0; i < MEM_N; i++) c.set(memKeys[i]!, makeValue(i))
          return c
        }),
    },
    {
      group: 'memory',
      name: '@hotpath/cache 100k entries',
      unit: 'bytes',
      better: 'lower',
      measure: () =>
        retainedHeapBytes(async () => {
          const c = createCache({ ttl: HOUR, l1: { max: MEM_N } })
          for (let i = 0; i < MEM_N; i++) await c.set(memKeys[i]!, makeValue(i))
          return c
        }),
    },
  ],
  targets: [
    { name: '@hotpath/cache peek', vs: 'lru-cache.get (sync)', atLeast: 0.8 },
    { name: '@hotpath/cache get', vs: 'await async fn returning lru-cache.get', atLeast: 0.5 },
    { name: '@hotpath/cache get', vs: 'cache-manager get', atLeast: 4 },
    { name: '@hotpath/cache getOrSet', vs: 'bentocache getOrSet', atLeast: 5 },
    { name: '@hotpath/cache get (L2 Redis only)', vs: '@redis/client GET', atLeast: 0.8 },
    { name: '@hotpath/cache get (L2 Redis only)', vs: 'keyv + @keyv/redis get', atLeast: 1.2 },
    { name: '@hotpath/cache 100k entries', vs: 'lru-cache 100k entries', atMost: 1.3 },
  ],
})
