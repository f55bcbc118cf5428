// A cache on a real Redis Cluster (private nodes on free ports): keys of one call in different slots,
// tag stamps and bus messages across nodes, and a master crashing while the cache serves.
// Real time on purpose (a real failover): judged by what the cache and the cluster report, with
// generous deadlines for "nothing hangs" and "it heals", never tight wall clocks.
import KeyvRedis from '@keyv/redis'
import { createClient } from '@redis/client'
import { eventually, type RedisCluster, requireRedis, startRedisCluster } from '@hotpath/test-helpers'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type Cache, type CacheOptions, createCache } from '../src/index.ts'
import { openL2 } from '../src/l2/open.ts'

let available = false
beforeAll(async () => {
  available = await requireRedis()
})

const open: Cache[] = []
function make(cluster: RedisCluster, options: CacheOptions = {}): Cache {
  const cache = createCache({
    namespace: 'cl',
    l2: { redisCluster: cluster.urls },
    bus: { redisCluster: cluster.urls },
    l2Timeout: 500,
    ...options,
  })
  open.push(cache)
  return cache
}
beforeEach((ctx) => {
  if (!available) ctx.skip()
})
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()))
})

/** A hang shows up as a clear failure after `ms` (a generous deadline, not a measurement). */
function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms)
  })
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer))
}

describe('three masters with a replica each', () => {
  let cluster: RedisCluster
  beforeAll(async () => {
    if (!available) return
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1, nodeTimeout: 1_000 })
    await cluster.waitHealthy()
  })
  afterAll(async () => {
    await cluster?.stop()
  })

  it('stores, reads, deletes and invalidates keys spread over every master, coherent across two instances', async () => {
    const a = make(cluster)
    const b = make(cluster)
    await eventually(() => a.stats().bus?.connected === true && b.stats().bus?.connected === true, {
      what: 'bus connected',
    })
    const keys = Array.from({ length: 30 }, (_, i) => `k${i}`)
    const owners = new Set(
      await Promise.all(keys.map(async (k) => (await cluster.masterFor(`cl:${k}`)).port)),
    )
    expect(owners.size).toBe(3) // the keys really live on three nodes

    for (const k of keys) await a.set(k, { k }, { tags: [`t${k.length}`] })
    for (const k of keys) expect(await b.get(k)).toEqual({ k }) // from L2, now in b's L1 too

    await a.delete('k1')
    await eventually(async () => (await b.get('k1')) === undefined, { what: 'delete reaches b' })
    await a.invalidateTags(['t3']) // k10..k29
    await eventually(async () => (await b.get('k20')) === undefined, { what: 'tag invalidation reaches b' })
    expect(await b.get('k2')).toEqual({ k: 'k2' })

    const l2Only = make(cluster, { l1: false, bus: undefined })
    expect(await l2Only.getMany(['k0', 'k5', 'k9'])).toEqual([{ k: 'k0' }, { k: 'k5' }, { k: 'k9' }]) // three slots
    expect(await l2Only.deleteMany(['k0', 'k5'])).toBe(2)
    expect(await l2Only.getMany(['k0', 'k5', 'k9'])).toEqual([undefined, undefined, { k: 'k9' }])
    expect(await b.getOrSet('fresh', async () => 'made')).toBe('made')
    expect(await a.get('fresh')).toBe('made')
    // counters route to the node of their key: 20 increments from two instances on each of 3 keys
    const counted = await Promise.all(
      ['c0', 'c1', 'c2'].flatMap((k) => Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).increment(k))),
    )
    expect(Math.max(...counted)).toBe(20)
    expect(await Promise.all(['c0', 'c1', 'c2'].map((k) => a.increment(k, { by: 0 })))).toEqual([20, 20, 20])
    expect(a.stats().l2Errors + b.stats().l2Errors).toBe(0)
    expect(a.stats().bus?.errors).toBe(0)
  })

  it('a @keyv/redis adapter on the cluster is used through its cluster client', async () => {
    const adapter = new KeyvRedis({ rootNodes: cluster.urls.map((url) => ({ url })) })
    try {
      const cache = make(cluster, { l1: false, bus: undefined, l2: adapter })
      for (let i = 0; i < 20; i++) await cache.set(`kv${i}`, i)
      for (let i = 0; i < 20; i++) expect(await cache.get(`kv${i}`)).toBe(i)
      expect(adapter.isCluster()).toBe(true)
      const backend = openL2(adapter, () => {})
      expect(backend.kind).toBe('redis') // its cluster client directly, not the generic Keyv path
      await backend.close()
      expect(cache.stats().l2Errors).toBe(0)
      await cache.close()
    } finally {
      await adapter.disconnect()
    }
  })

  it('after a master crashes, its keys are read from the promoted replica (the client re-reads the slot map)', async () => {
    const cache = make(cluster, { l1: false, bus: undefined, breaker: { threshold: 5, halfOpenAfter: 100 } })
    await cache.set('k', 'before the crash')
    const victim = await cluster.masterFor('cl:k')
    // The replica has the value before its master dies.
    const direct = createClient({ url: victim.url })
    await direct.connect()
    expect(await direct.sendCommand(['WAIT', '1', '5000'])).toBe(1)
    direct.destroy()

    await victim.kill() // not restarted: the next test takes this shard down for good
    await eventually(async () => (await within(5_000, cache.get('k'), 'get')) === 'before the crash', {
      what: "the promoted replica serves the dead master's keys",
      timeoutMs: 30_000,
      intervalMs: 100,
    })
    expect(await cache.get('k')).toBe('before the crash')
    await cache.set('k', 'after the failover')
    expect(await cache.get('k')).toBe('after the failover')
    expect(cache.stats().l2Corrupt).toBe(0)
  }, 60_000)

  it('a shard with no node left: CLUSTERDOWN opens the breaker, calls keep resolving, nothing is deleted', async () => {
    const cache = make(cluster, {
      l1: false,
      bus: undefined,
      breaker: { threshold: 3, halfOpenAfter: 60_000 },
    })
    await cache.set('survivor', 'v')
    // The shard that failed over in the test before has lost its old master already; now the new one dies.
    const victim = await cluster.masterFor('cl:k')
    await victim.kill() // the last test on this cluster: nothing is restarted
    // Every call resolves (a hit on a live master or a miss), whatever the cluster says meanwhile: an offline
    // node, then CLUSTERDOWN for every slot once the cluster has marked the master failed.
    await eventually(
      async () => {
        expect(['v', undefined]).toContain(await within(5_000, cache.get('survivor'), 'get'))
        return cache.stats().breaker === 'open'
      },
      { what: 'breaker open', timeoutMs: 20_000, intervalMs: 50 },
    )
    expect(cache.stats().l2Corrupt).toBe(0)
  }, 60_000)
})
