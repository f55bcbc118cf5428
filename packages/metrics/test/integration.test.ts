// Drives the real @hotpath/cache, @hotpath/http and @hotpath/db (devDependencies, test only) and validates
// the exposition with promtool.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCache } from '@hotpath/cache'
import { createDatabase, postgres, sqlite } from '@hotpath/db'
import { createHttpClient } from '@hotpath/http'
import { freshSchema, requirePostgres, startHttpServer } from '@hotpath/test-helpers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMetrics } from '../src/index.ts'
import { promtoolCheck, samples } from './helpers.ts'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hp-metrics-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('real cache, http and db through the channels', () => {
  it('produces an exposition promtool accepts, with every instrument family', async () => {
    await using metrics = createMetrics({ serviceName: 'orders-api', runtime: { sampleInterval: 100 } })
    metrics.instrument()

    // cache: L1 hits and misses, evictions by size
    await using cache = createCache({ namespace: 'users', l1: { max: 5 } })
    metrics.observe(cache)
    for (let i = 0; i < 10; i++) await cache.set(`u:${i}`, { id: i })
    for (let i = 0; i < 10; i++) await cache.get(`u:${i}`)

    // http: a real upstream
    const upstream = await startHttpServer((req, res) => {
      res.writeHead(req.url?.startsWith('/fail') ? 503 : 200, { 'content-type': 'application/json' })
      res.end('{"ok":true}')
    })
    const http = createHttpClient({ name: 'upstream', cache: false, retry: false })
    metrics.observe(http)
    try {
      for (let i = 0; i < 5; i++) await (await http.request(`${upstream.origin}/items/${i}`)).text()
      await http.request(`${upstream.origin}/fail/1`).then(
        (r) => r.text(),
        () => undefined,
      )
    } finally {
      await http.close()
      await upstream.close()
    }

    // db: sqlite in a temp file, a slow statement
    await using db = createDatabase({
      name: 'main',
      driver: sqlite({ filename: join(dir, 'm.db') }),
      slowQueryThreshold: 0,
    })
    metrics.observe(db)
    await db.execute('CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, total REAL)')
    for (let i = 0; i < 20; i++)
      await db.execute('INSERT INTO orders (customer, total) VALUES (?, ?)', [`c${i % 3}`, i])
    for (let i = 0; i < 10; i++) await db.query('SELECT * FROM orders WHERE customer = ?', [`c${i % 3}`])

    const text = await metrics.text()
    const names = new Set(samples(text).map((s) => s.name))
    for (const name of [
      'hotpath_cache_operations_total',
      'hotpath_cache_entries',
      'http_client_request_duration_seconds_bucket',
      'db_client_operation_duration_seconds_bucket',
      'db_client_connection_wait_time_seconds_bucket',
      'db_client_connection_use_time_seconds_bucket',
      'db_client_connections_usage',
      'nodejs_eventloop_delay_p99_seconds',
      'process_memory_usage_bytes',
    ]) {
      expect(names, name).toContain(name)
    }
    expect(text).not.toContain('u:1') // no cache keys
    expect(text).not.toContain('/items/') // no raw paths
    expect(text).not.toContain("'c1'") // no SQL literals
    const check = await promtoolCheck(text)
    if (!check.available) console.warn(`skipped promtool check: ${check.output}`)
    else expect(check.code, check.output).toBe(0)

    const report = await metrics.report()
    const users = report.caches.find((c) => c.name === 'users')
    expect(users?.lookups).toBe(10)
    expect(users?.hits).toBeGreaterThan(0)
    expect(users?.misses).toBeGreaterThan(0) // L1 of 5 entries cannot hold 10
    const up = report.upstreams.find((u) => u.client === 'upstream')
    expect(up?.count).toBe(6)
    expect(up?.errors).toBe(1)
    expect(report.queries.top.length).toBeGreaterThan(0)
    expect(report.queries.top.some((q) => q.summary.includes('orders'))).toBe(true)
    expect(report.pools.find((p) => p.acquisitions > 0)).toBeDefined()
    // slowQueryThreshold: 0 makes every statement "slow": the database's analysis comes with it
    const slowSelect = report.queries.slow.find((s) => s.fingerprint.startsWith('select'))
    expect(slowSelect?.finding).toBeDefined()
    expect(JSON.stringify(slowSelect?.finding)).toMatch(/select|scan|index/i)
  })

  it('the HTTP client cache outcome becomes the hotpath.http.cache attribute', async () => {
    await using metrics = createMetrics({ runtime: false })
    metrics.instrument({ db: false })
    const upstream = await startHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=60' })
      res.end('{"ok":true}')
    })
    const http = createHttpClient({ name: 'cached' })
    try {
      for (let i = 0; i < 3; i++) await (await http.request(`${upstream.origin}/catalog`)).text()
    } finally {
      await http.close()
      await upstream.close()
    }
    const counts = samples(await metrics.text()).filter(
      (s) =>
        s.name === 'http_client_request_duration_seconds_count' && s.labels.hotpath_http_client === 'cached',
    )
    const by = Object.fromEntries(counts.map((s) => [s.labels.hotpath_http_cache, s.value]))
    // the two hits made no network call: not client requests, counted on their own histogram
    expect(by).toEqual({ miss: 1 })
    const hits = samples(await metrics.text()).find(
      (s) =>
        s.name === 'hotpath_http_client_cache_duration_seconds_count' &&
        s.labels.hotpath_http_client === 'cached',
    )
    expect(hits?.labels.hotpath_http_cache).toBe('hit')
    expect(hits?.value).toBe(2)
    const report = await metrics.report()
    expect(report.upstreams.find((u) => u.client === 'cached')?.cache).toEqual({ miss: 1, hit: 2 })
  })

  it('PostgreSQL: db.namespace is the real database, server.address/port the server, error.type the SQLSTATE', async (ctx) => {
    if (!(await requirePostgres())) return ctx.skip()
    const schema = await freshSchema()
    await using metrics = createMetrics({ runtime: false })
    metrics.instrument({ cache: false, http: false })
    try {
      await using db = createDatabase({ name: 'orders', driver: postgres({ connectionString: schema.url }) })
      await db.execute('CREATE TABLE t (id int primary key)')
      await db.execute('INSERT INTO t VALUES ($1)', [1])
      await expect(db.execute('INSERT INTO t VALUES ($1)', [1])).rejects.toThrow()
      const ops = samples(await metrics.text()).filter(
        (s) => s.name === 'db_client_operation_duration_seconds_count',
      )
      const url = new URL(schema.url)
      const database = url.pathname.slice(1) || url.username || 'postgres'
      expect(new Set(ops.map((s) => s.labels.db_namespace))).toEqual(new Set([database]))
      expect(new Set(ops.map((s) => s.labels.server_address))).toEqual(new Set([url.hostname]))
      expect(new Set(ops.map((s) => s.labels.server_port))).toEqual(new Set([url.port || '5432']))
      const failed = ops.filter((s) => s.labels.error_type !== undefined)
      expect(failed.map((s) => [s.labels.error_type, s.labels.db_response_status_code, s.value])).toEqual([
        ['23505', '23505', 1],
      ])
    } finally {
      await schema.drop()
    }
  })

  it('PostgreSQL: operation duration with db.system.name=postgresql', async (ctx) => {
    if (!(await requirePostgres())) return ctx.skip()
    const schema = await freshSchema()
    await using metrics = createMetrics({ runtime: false })
    metrics.instrument({ cache: false, http: false })
    try {
      await using db = createDatabase({ name: 'pg', driver: postgres({ connectionString: schema.url }) })
      metrics.observe(db)
      await db.execute('CREATE TABLE t (id int primary key, v text)')
      await db.execute('INSERT INTO t VALUES ($1, $2)', [1, 'x'])
      await db.query('SELECT v FROM t WHERE id = $1', [1])
      const text = await metrics.text()
      const ops = samples(text).filter((s) => s.name === 'db_client_operation_duration_seconds_count')
      expect(
        ops.some((s) => s.labels.db_system_name === 'postgresql' && s.labels.db_operation_name === 'SELECT'),
      ).toBe(true)
      const check = await promtoolCheck(text)
      if (check.available) expect(check.code, check.output).toBe(0)
    } finally {
      await schema.drop()
    }
  })
})
