// The private servers the chaos tests rely on: a PostgreSQL cluster and a Redis Cluster of our own.
import { createClient, createCluster } from '@redis/client'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type PrivatePostgres,
  type RedisCluster,
  startPrivatePostgres,
  startRedisCluster,
} from '../src/index.ts'

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 })
  await client.connect()
  try {
    return (await client.query(sql)).rows
  } finally {
    await client.end()
  }
}

describe('startPrivatePostgres', () => {
  let server: PrivatePostgres
  beforeAll(async () => {
    server = await startPrivatePostgres()
  }, 90_000)
  afterAll(async () => {
    await server?.stop()
  })

  it('serves queries on its own port, survives a restart and comes back after a kill', async () => {
    expect(server.port).not.toBe(5432)
    expect(await query(server.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }])
    await query(server.url, 'CREATE TABLE kept (id int)')
    await query(server.url, 'INSERT INTO kept VALUES (7)')

    const before = server.pid
    await server.restart()
    expect(server.pid).not.toBe(before)
    expect(await query(server.url, 'SELECT id FROM kept')).toEqual([{ id: 7 }])

    await server.kill()
    await expect(query(server.url, 'SELECT 1')).rejects.toThrow()
    await server.start()
    expect(await query(server.url, 'SELECT count(*)::int AS n FROM kept')).toEqual([{ n: 1 }])
  }, 90_000)

  it('freeze makes a session hang until thaw', async () => {
    const client = new pg.Client({ connectionString: server.url })
    client.on('error', () => {})
    await client.connect()
    await server.freeze()
    let settled = false
    const pending = client.query('SELECT 2 AS two').finally(() => {
      settled = true
    })
    await new Promise((r) => setTimeout(r, 300))
    expect(settled).toBe(false)
    await server.thaw()
    expect((await pending).rows).toEqual([{ two: 2 }])
    await client.end()
  }, 30_000)
})

describe('startRedisCluster', () => {
  let cluster: RedisCluster
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 })
  }, 90_000)
  afterAll(async () => {
    await cluster?.stop()
  })

  it('is a real cluster: keys spread over three masters; a killed master fails over to its replica', async () => {
    expect(cluster.nodes).toHaveLength(6)
    const client = createCluster({ rootNodes: cluster.urls.map((url) => ({ url })) })
    client.on('error', () => {})
    await client.connect()
    try {
      const owners = new Set<number>()
      for (let i = 0; i < 30; i++) {
        await client.set(`k${i}`, String(i))
        owners.add((await cluster.masterFor(`k${i}`)).port)
      }
      expect(owners.size).toBe(3)

      const victim = await cluster.masterFor('k1')
      // Writes are replicated asynchronously: WAIT until the replica has them before the crash.
      const owner = createClient({ url: victim.url })
      owner.on('error', () => {})
      await owner.connect()
      expect(await owner.sendCommand(['WAIT', '1', '5000'])).toBe(1)
      await owner.close()
      await victim.kill()
      expect(victim.running).toBe(false)
      await cluster.waitHealthy(30_000)
      const promoted = await cluster.masterFor('k1')
      expect(promoted.port).not.toBe(victim.port)
      const direct = createClient({ url: promoted.url })
      direct.on('error', () => {})
      await direct.connect()
      expect(await direct.get('k1')).toBe('1')
      await direct.close()
      await victim.start()
      await cluster.waitHealthy(30_000)
      expect(victim.running).toBe(true)
    } finally {
      await client.close().catch(() => {})
    }
  }, 120_000)
})
