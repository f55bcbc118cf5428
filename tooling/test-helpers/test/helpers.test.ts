import { createClient } from '@redis/client'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  canConnect,
  freePort,
  freshSchema,
  postgresUrl,
  redisNamespace,
  redisUrl,
  requirePostgres,
  requireRedis,
  startHttpServer,
  startPrivateRedis,
} from '../src/index.ts'

describe('env', () => {
  it('defaults to 127.0.0.1 and honours the env vars', () => {
    const saved = process.env.HOTPATH_REDIS_URL
    delete process.env.HOTPATH_REDIS_URL
    expect(redisUrl()).toBe('redis://127.0.0.1:6379')
    process.env.HOTPATH_REDIS_URL = 'redis://127.0.0.1:6390'
    expect(redisUrl()).toBe('redis://127.0.0.1:6390')
    if (saved === undefined) delete process.env.HOTPATH_REDIS_URL
    else process.env.HOTPATH_REDIS_URL = saved
    expect(postgresUrl()).toMatch(/^postgres:\/\//)
  })
})

describe('service checks', () => {
  it('reports a closed port as unreachable, and fails under CI instead of skipping', async () => {
    const port = await freePort()
    expect(await canConnect(`redis://127.0.0.1:${port}`, 6379, 500)).toBe(false)
    const saved = { ci: process.env.CI, url: process.env.HOTPATH_REDIS_URL }
    process.env.CI = 'true'
    process.env.HOTPATH_REDIS_URL = `redis://127.0.0.1:${port}`
    try {
      await expect(requireRedis()).rejects.toThrow(/not reachable/)
    } finally {
      if (saved.ci === undefined) delete process.env.CI
      else process.env.CI = saved.ci
      if (saved.url === undefined) delete process.env.HOTPATH_REDIS_URL
      else process.env.HOTPATH_REDIS_URL = saved.url
    }
  })
})

describe('redis namespace', () => {
  let ok = false
  beforeAll(async () => {
    ok = await requireRedis()
  })

  it('cleans up exactly its own keys', async (ctx) => {
    if (!ok) return ctx.skip()
    const ns = redisNamespace()
    const other = redisNamespace()
    const client = createClient({ url: redisUrl() })
    await client.connect()
    try {
      await client.set(`${ns.prefix}:a`, '1')
      await client.set(`${ns.prefix}:b`, '2')
      await client.set(`${other.prefix}:a`, '3')
      await ns.cleanup()
      expect(await client.exists([`${ns.prefix}:a`, `${ns.prefix}:b`])).toBe(0)
      expect(await client.get(`${other.prefix}:a`)).toBe('3')
      await other.cleanup()
    } finally {
      client.destroy()
    }
  })
})

describe('private redis-server', () => {
  it('starts, dies on kill, and starts again on the same port', async () => {
    const redis = await startPrivateRedis()
    try {
      expect(await canConnect(redis.url, redis.port)).toBe(true)
      await redis.kill()
      expect(await canConnect(redis.url, redis.port, 300)).toBe(false)
      await redis.start()
      const client = createClient({ url: redis.url })
      await client.connect()
      expect(await client.ping()).toBe('PONG')
      client.destroy()
    } finally {
      await redis.stop()
    }
  })
})

describe('fresh PostgreSQL schema', () => {
  let ok = false
  beforeAll(async () => {
    ok = await requirePostgres()
  })

  it('isolates tables and is dropped afterwards', async (ctx) => {
    if (!ok) return ctx.skip()
    const schema = await freshSchema()
    const client = new pg.Client({ connectionString: schema.url })
    await client.connect()
    try {
      await client.query('CREATE TABLE t (id int)')
      const { rows } = await client.query('SELECT current_schema() AS s')
      expect(rows[0].s).toBe(schema.name)
    } finally {
      await client.end()
    }
    await schema.drop()
    const admin = new pg.Client({ connectionString: postgresUrl() })
    await admin.connect()
    const { rowCount } = await admin.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema.name])
    await admin.end()
    expect(rowCount).toBe(0)
  })
})

describe('throwaway HTTP server', () => {
  const servers: Array<{ close(): Promise<void> }> = []
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()))
  })

  it('serves on 127.0.0.1 and counts requests', async () => {
    const server = await startHttpServer((_req, res) => {
      res.end('hi')
    })
    servers.push(server)
    expect(server.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const res = await fetch(server.origin)
    expect(await res.text()).toBe('hi')
    expect(server.requests).toBe(1)
  })
})
