// @hotpath/cache against the libraries users compare it with: raw lru-cache, keyv (memory), cacheable,
// cache-manager, Bentocache (memory, serialize: false beside its default); and on Redis: @redis/client
// sendCommand (the floor) and client.get, keyv + @keyv/redis, cacheable + @keyv/redis. Every contender is checked.
// 10k pre-generated keys, ~100-byte values, all hits. Targets encode the ratios of issue 3; issue 12 adds
// the cost of the 'tinylfu' L1 policy (get / getOrSet / peek / memory beside 'lru' in the same run) and
// L2 compression (a 64 KB JSON value: bytes stored in Redis, L2 get with and without zstd).
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
import { expectSame } from '../src/check.ts'
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
const ours = createCache({ namespace: 'bench-l1', ttl: HOUR, l1: { policy: 'lru', max: 20_000 } })
const oursTiny = createCache({
  namespace: 'bench-l1-tinylfu',
  ttl: HOUR,
  l1: { policy: 'tinylfu', max: 20_000 },
})
const keyvMemory = new Keyv()
const cacheable = new Cacheable()
const cacheManager = createCacheManager()
const bento = new BentoCache({
  default: 'memory',
  stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: 20_000 })) },
})
// Bentocache's fastest documented L1 setting: no serialisation of entries (no JSON.parse per hit).
const bentoRaw = new BentoCache({
  default: 'memory',
  stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: 20_000, serialize: false })) },
})
const rawAsync = async (key: string): Promise<string | undefined> => lru.get(key)
const factory = (): string => 'never called on a hit'

// ---- Redis contenders (L2 only: every get is a Redis round trip)
const redisNs = `hp_bench_${process.pid}`
const raw = createClient({ url: redisUrl })
raw.on('error', () => {})
const oursL2 = createCache({ namespace: redisNs, ttl: HOUR, l1: false, l2: { redisUrl }, l2Timeout: 1000 })
const keyvRedis = new Keyv(new KeyvRedis(redisUrl), { namespace: `${redisNs}-keyv` })
// cacheable with @keyv/redis as its only store: every get is a Redis round trip, like ours.
const cacheableRedis = new Cacheable({
  primary: new Keyv(new KeyvRedis(redisUrl), { namespace: `${redisNs}-cacheable` }),
})
const rawPrefix = `${redisNs}-raw:`

// ---- compression: one ~64 KB JSON document (records with repeated keys, varied values), L2 only
const makeDocument = (): { items: object[] } => {
  const items: object[] = []
  for (let i = 0; JSON.stringify(items).length < 64 * 1024; i++) {
    items.push({
      id: i,
      sku: `SKU-${(i * 7919) % 100_000}`,
      name: `Product ${i}`,
      price: (i * 37) % 1000,
      tags: ['a', 'b'],
    })
  }
  return { items }
}
const doc = makeDocument()
const big = (compress: boolean) =>
  createCache({
    namespace: `${redisNs}-${compress ? 'zstd' : 'plain'}`,
    ttl: HOUR,
    l1: false,
    l2: { redisUrl, compress: compress ? { codec: 'zstd' } : false },
    l2Timeout: 1000,
  })
const bigPlain = big(false)
const bigZstd = big(true)
const BIG_IN_FLIGHT = 8
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
    getOrSet: 'bentocache getOrSet (serialize: false)',
    redis: '@redis/client sendCommand GET',
    memory: 'lru-cache 100k entries',
    'compress-size': '64 KB JSON in Redis, uncompressed',
    'compress-get': '@hotpath/cache L2 get 64 KB JSON, uncompressed',
  },
  async setup() {
    for (let i = 0; i < N; i++) {
      const k = keys[i]!
      const v = values[i]!
      lru.set(k, v)
      lruTtl.set(k, v)
      await ours.set(k, v)
      await oursTiny.set(k, v)
      await keyvMemory.set(k, v, HOUR)
      await cacheable.set(k, v, HOUR)
      await cacheManager.set(k, v, HOUR)
      await bento.set({ key: k, value: v, ttl: HOUR })
      await bentoRaw.set({ key: k, value: v, ttl: HOUR })
    }
    await raw.connect()
    await bigPlain.set('doc', doc)
    await bigZstd.set('doc', doc)
    for (let i = 0; i < N; i += 500) {
      const batch = keys.slice(i, i + 500)
      await Promise.all(batch.map((k, j) => raw.set(`${redisNs}-raw:${k}`, values[i + j]!, { PX: HOUR })))
      await Promise.all(batch.map((k, j) => oursL2.set(k, values[i + j]!)))
      await Promise.all(batch.map((k, j) => keyvRedis.set(k, values[i + j]!, HOUR)))
      await Promise.all(batch.map((k, j) => cacheableRedis.set(k, values[i + j]!, HOUR)))
    }
  },
  async teardown() {
    // honesty checks: every measured @hotpath/cache read was a hit of the tier it claims to measure
    for (const c of [ours, oursTiny]) {
      const l1 = c.stats()
      if (l1.misses !== 0 || l1.l2Hits !== 0) throw new Error(`L1 contender missed: ${JSON.stringify(l1)}`)
    }
    for (const c of [oursL2, bigPlain, bigZstd]) {
      const l2 = c.stats()
      if (l2.misses !== 0 || l2.l2Timeouts !== 0 || l2.l2Errors !== 0 || l2.l2Corrupt !== 0) {
        throw new Error(`L2 contender missed or failed: ${JSON.stringify(l2)}`)
      }
    }
    for await (const batch of raw.scanIterator({ MATCH: `${redisNs}*`, COUNT: 1000 })) {
      if (batch.length > 0) await raw.unlink(batch)
    }
    raw.destroy()
    await Promise.all([
      ours.close(),
      oursTiny.close(),
      oursL2.close(),
      bigPlain.close(),
      bigZstd.close(),
      bento.disconnectAll(),
      bentoRaw.disconnectAll(),
      keyvRedis.disconnect(),
      cacheable.disconnect(),
      cacheableRedis.disconnect(),
    ])
  },
  contenders: [
    // peek: synchronous L1 hit
    {
      group: 'peek',
      name: 'lru-cache.get (sync)',
      config: 'max 20k, no ttl',
      measure: () => opsPerSecond((i) => lru.get(keys[i & mask]!), 200),
      check: () => expectSame(lru.get(keys[7]!), values[7], 'lru-cache.get'),
    },
    {
      group: 'peek',
      name: '@hotpath/cache peek (lru policy)',
      config: "L1 only, ttl 1 h, policy 'lru'",
      measure: () => opsPerSecond((i) => ours.peek(keys[i & mask]!), 200),
      check: () => expectSame(ours.peek(keys[7]!), values[7], 'peek'),
    },
    {
      group: 'peek',
      name: '@hotpath/cache peek',
      config: "L1 only, ttl 1 h, policy 'tinylfu' (the default)",
      measure: () => opsPerSecond((i) => oursTiny.peek(keys[i & mask]!), 200),
      check: () => expectSame(oursTiny.peek(keys[7]!), values[7], 'peek (tinylfu)'),
    },
    {
      group: 'peek',
      name: 'lru-cache.get with ttl (context)',
      config: 'max 20k, ttl 1 h',
      measure: () => opsPerSecond((i) => lruTtl.get(keys[i & mask]!), 200),
      check: () => expectSame(lruTtl.get(keys[7]!), values[7], 'lru-cache.get with ttl'),
    },

    // awaited get: L1 hit
    {
      group: 'get',
      name: 'await async fn returning lru-cache.get',
      measure: () => asyncOpsPerSecond((i) => rawAsync(keys[i & mask]!)),
      check: async () => expectSame(await rawAsync(keys[7]!), values[7], 'async lru-cache.get'),
    },
    {
      group: 'get',
      name: '@hotpath/cache get (lru policy)',
      config: "L1 only, ttl 1 h, policy 'lru'",
      measure: () => asyncOpsPerSecond((i) => ours.get(keys[i & mask]!)),
      check: async () => expectSame(await ours.get(keys[7]!), values[7], 'get'),
    },
    {
      group: 'get',
      name: '@hotpath/cache get',
      config: "L1 only, ttl 1 h, policy 'tinylfu' (the default)",
      measure: () => asyncOpsPerSecond((i) => oursTiny.get(keys[i & mask]!)),
      check: async () => expectSame(await oursTiny.get(keys[7]!), values[7], 'get (tinylfu)'),
    },
    {
      group: 'get',
      name: 'cache-manager get',
      config: 'default (keyv memory)',
      measure: () => asyncOpsPerSecond((i) => cacheManager.get(keys[i & mask]!)),
      check: async () => expectSame(await cacheManager.get(keys[7]!), values[7], 'cache-manager get'),
    },
    {
      group: 'get',
      name: 'bentocache get',
      config: 'memory L1, serialize: false',
      measure: () => asyncOpsPerSecond((i) => bentoRaw.get({ key: keys[i & mask]! })),
      check: async () => expectSame(await bentoRaw.get({ key: keys[7]! }), values[7], 'bentocache get'),
    },
    {
      group: 'get',
      name: 'keyv (memory) get',
      measure: () => asyncOpsPerSecond((i) => keyvMemory.get(keys[i & mask]!)),
      check: async () => expectSame(await keyvMemory.get(keys[7]!), values[7], 'keyv get'),
    },
    {
      group: 'get',
      name: 'cacheable get',
      config: 'default memory primary',
      measure: () => asyncOpsPerSecond((i) => cacheable.get(keys[i & mask]!)),
      check: async () => expectSame(await cacheable.get(keys[7]!), values[7], 'cacheable get'),
    },

    // getOrSet: L1 hit
    {
      group: 'getOrSet',
      name: 'bentocache getOrSet (serialize: false)',
      config: 'memory L1, serialize: false (its fastest documented setting)',
      measure: () =>
        asyncOpsPerSecond((i) => bentoRaw.getOrSet({ key: keys[i & mask]!, factory, ttl: HOUR })),
      check: async () =>
        expectSame(
          await bentoRaw.getOrSet({ key: keys[7]!, factory, ttl: HOUR }),
          values[7],
          'bentocache getOrSet',
        ),
    },
    {
      group: 'getOrSet',
      name: 'bentocache getOrSet (default)',
      config: 'memory L1, serialize: true (default: JSON per hit)',
      measure: () => asyncOpsPerSecond((i) => bento.getOrSet({ key: keys[i & mask]!, factory, ttl: HOUR })),
      check: async () =>
        expectSame(
          await bento.getOrSet({ key: keys[7]!, factory, ttl: HOUR }),
          values[7],
          'bentocache getOrSet',
        ),
    },
    {
      group: 'getOrSet',
      name: '@hotpath/cache getOrSet (lru policy)',
      config: "L1 only, ttl 1 h, policy 'lru'",
      measure: () => asyncOpsPerSecond((i) => ours.getOrSet(keys[i & mask]!, factory)),
      check: async () => expectSame(await ours.getOrSet(keys[7]!, factory), values[7], 'getOrSet'),
    },
    {
      group: 'getOrSet',
      name: '@hotpath/cache getOrSet',
      config: "L1 only, ttl 1 h, policy 'tinylfu' (the default)",
      measure: () => asyncOpsPerSecond((i) => oursTiny.getOrSet(keys[i & mask]!, factory)),
      check: async () =>
        expectSame(await oursTiny.getOrSet(keys[7]!, factory), values[7], 'getOrSet (tinylfu)'),
    },
    {
      group: 'getOrSet',
      name: 'cache-manager wrap',
      measure: () => asyncOpsPerSecond((i) => cacheManager.wrap(keys[i & mask]!, factory, HOUR)),
      check: async () =>
        expectSame(await cacheManager.wrap(keys[7]!, factory, HOUR), values[7], 'cache-manager wrap'),
    },

    // Redis GET hit, 100 in flight
    {
      group: 'redis',
      name: '@redis/client sendCommand GET',
      // The key is built per call, as an application builds it from its request (client.get below does too).
      config: 'one client, sendCommand (no reply transform), key built per call: the floor of an L2 get',
      measure: () =>
        concurrentOpsPerSecond(
          (i) => raw.sendCommand(['GET', rawPrefix + keys[i & mask]!]),
          IN_FLIGHT,
          REDIS_MS,
        ),
      check: async () =>
        expectSame(await raw.sendCommand(['GET', rawPrefix + keys[7]!]), values[7], 'sendCommand GET'),
    },
    {
      group: 'redis',
      name: '@redis/client GET',
      config: 'one client, client.get',
      measure: () =>
        concurrentOpsPerSecond((i) => raw.get(`${redisNs}-raw:${keys[i & mask]!}`), IN_FLIGHT, REDIS_MS),
      check: async () => expectSame(await raw.get(`${redisNs}-raw:${keys[7]!}`), values[7], 'client.get'),
    },
    {
      group: 'redis',
      name: '@hotpath/cache get (L2 Redis only)',
      config: 'l1: false, l2: { redisUrl }',
      measure: () => concurrentOpsPerSecond((i) => oursL2.get(keys[i & mask]!), IN_FLIGHT, REDIS_MS),
      check: async () => expectSame(await oursL2.get(keys[7]!), values[7], 'L2 get'),
    },
    {
      group: 'redis',
      name: 'keyv + @keyv/redis get',
      measure: () => concurrentOpsPerSecond((i) => keyvRedis.get(keys[i & mask]!), IN_FLIGHT, REDIS_MS),
      check: async () => expectSame(await keyvRedis.get(keys[7]!), values[7], 'keyv redis get'),
    },
    {
      group: 'redis',
      name: 'cacheable + @keyv/redis get',
      config: 'primary: Keyv(@keyv/redis)',
      measure: () => concurrentOpsPerSecond((i) => cacheableRedis.get(keys[i & mask]!), IN_FLIGHT, REDIS_MS),
      check: async () => expectSame(await cacheableRedis.get(keys[7]!), values[7], 'cacheable redis get'),
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
      name: '@hotpath/cache 100k entries (lru policy)',
      config: "policy 'lru'",
      unit: 'bytes',
      better: 'lower',
      measure: () =>
        retainedHeapBytes(async () => {
          const c = createCache({ ttl: HOUR, l1: { policy: 'lru', max: MEM_N } })
          for (let i = 0; i < MEM_N; i++) await c.set(memKeys[i]!, makeValue(i))
          if ((await c.get(memKeys[MEM_N - 1]!)) !== makeValue(MEM_N - 1))
            throw new Error('100k cache lost an entry')
          return c
        }),
    },
    {
      group: 'memory',
      name: '@hotpath/cache 100k entries',
      config: "policy 'tinylfu' (the default)",
      unit: 'bytes',
      better: 'lower',
      measure: () =>
        retainedHeapBytes(async () => {
          const c = createCache({ ttl: HOUR, l1: { policy: 'tinylfu', max: MEM_N } })
          for (let i = 0; i < MEM_N; i++) await c.set(memKeys[i]!, makeValue(i))
          if ((await c.get(memKeys[MEM_N - 1]!)) !== makeValue(MEM_N - 1))
            throw new Error('100k tinylfu cache lost an entry')
          return c
        }),
    },

    // compression: bytes of one 64 KB JSON value in Redis, and its L2 get (8 in flight)
    {
      group: 'compress-size',
      name: '64 KB JSON in Redis, uncompressed',
      config: 'STRLEN of the hp3 entry',
      unit: 'bytes',
      better: 'lower',
      measure: () => raw.strLen(`${redisNs}-plain:doc`),
    },
    {
      group: 'compress-size',
      name: '64 KB JSON in Redis, zstd',
      config: "STRLEN of the hp3 entry; l2.compress { codec: 'zstd' } (base64 of the zstd bytes)",
      unit: 'bytes',
      better: 'lower',
      measure: () => raw.strLen(`${redisNs}-zstd:doc`),
    },
    {
      group: 'compress-get',
      name: '@hotpath/cache L2 get 64 KB JSON, uncompressed',
      config: `l1: false, ${BIG_IN_FLIGHT} in flight`,
      measure: () => concurrentOpsPerSecond(() => bigPlain.get('doc'), BIG_IN_FLIGHT, REDIS_MS),
      check: async () => expectSame(await bigPlain.get('doc'), doc, 'L2 get 64 KB'),
    },
    {
      group: 'compress-get',
      name: '@hotpath/cache L2 get 64 KB JSON, zstd',
      config: `l1: false, l2.compress { codec: 'zstd' }, ${BIG_IN_FLIGHT} in flight`,
      measure: () => concurrentOpsPerSecond(() => bigZstd.get('doc'), BIG_IN_FLIGHT, REDIS_MS),
      check: async () => expectSame(await bigZstd.get('doc'), doc, 'L2 get 64 KB zstd'),
    },
  ],
  targets: [
    // the default configuration (l1.policy 'tinylfu'); the 'lru' policy's rows are context
    { name: '@hotpath/cache peek', vs: 'lru-cache.get (sync)', atLeast: 0.8 },
    { name: '@hotpath/cache get', vs: 'await async fn returning lru-cache.get', atLeast: 0.5 },
    { name: '@hotpath/cache get', vs: 'cache-manager get', atLeast: 4 },
    { name: '@hotpath/cache getOrSet', vs: 'bentocache getOrSet (serialize: false)', atLeast: 5 },
    { name: '@hotpath/cache get (L2 Redis only)', vs: '@redis/client sendCommand GET', atLeast: 0.8 },
    { name: '@hotpath/cache get (L2 Redis only)', vs: 'keyv + @keyv/redis get', atLeast: 1.2 },
    { name: '@hotpath/cache 100k entries', vs: 'lru-cache 100k entries', atMost: 1.3 },
    // issue 12: W-TinyLFU's cost beside the lru policy, and compression
    { name: '@hotpath/cache get', vs: '@hotpath/cache get (lru policy)', atLeast: 0.75 },
    { name: '64 KB JSON in Redis, zstd', vs: '64 KB JSON in Redis, uncompressed', atMost: 0.25 },
    {
      name: '@hotpath/cache L2 get 64 KB JSON, zstd',
      vs: '@hotpath/cache L2 get 64 KB JSON, uncompressed',
      atLeast: 1 / 1.5,
    },
  ],
})
