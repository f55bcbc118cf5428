import { afterEach, describe, expect, it } from 'vitest'
import { createMetrics, type Metrics } from '../src/index.ts'
import { cacheGet, ch, dbQuery, httpRequest, samples } from './helpers.ts'

let metrics: Metrics | undefined
afterEach(async () => {
  await metrics?.close()
  metrics = undefined
})

function make(options: Parameters<typeof createMetrics>[0] = {}): Metrics {
  metrics = createMetrics({ runtime: false, ...options })
  return metrics
}

describe('instrument(): contract payloads on the real channels', () => {
  it('records nothing before instrument() and stops after close()', async () => {
    const m = make()
    cacheGet('users', 'hit', 'l1', 3)
    expect(ch.cacheGet.hasSubscribers).toBe(false)
    m.instrument()
    expect(ch.cacheGet.hasSubscribers).toBe(true)
    cacheGet('users', 'hit', 'l1', 2)
    const s = samples(await m.text()).find((x) => x.name === 'hotpath_cache_operations_total')
    expect(s?.value).toBe(2)
    await m.close()
    expect(ch.cacheGet.hasSubscribers).toBe(false)
  })

  it('counts cache operations by result and tier, and evictions by reason', async () => {
    const m = make().instrument()
    m.instrument() // idempotent: no double counting
    cacheGet('users', 'hit', 'l1', 5)
    cacheGet('users', 'hit', 'l2', 2)
    cacheGet('users', 'miss', 'none', 3)
    cacheGet('users', 'stale', 'l2', 1)
    ch.cacheEvict.publish({ cache: 'users', key: 'a', reason: 'expire' })
    ch.cacheEvict.publish({ cache: 'users', key: 'b', reason: 'evict' })
    ch.cacheEvict.publish({ cache: 'users', key: 'c', reason: 'evict' })
    const all = samples(await m.text())
    const ops = all.filter((x) => x.name === 'hotpath_cache_operations_total')
    const find = (result: string, tier: string) =>
      ops.find((x) => x.labels.hotpath_cache_result === result && x.labels.hotpath_cache_tier === tier)?.value
    expect(find('hit', 'l1')).toBe(5)
    expect(find('hit', 'l2')).toBe(2)
    expect(find('miss', 'none')).toBe(3)
    expect(find('stale', 'l2')).toBe(1)
    const ev = all.filter((x) => x.name === 'hotpath_cache_evictions_total')
    expect(ev.find((x) => x.labels.hotpath_cache_eviction_reason === 'evict')?.value).toBe(2)
    expect(ev.find((x) => x.labels.hotpath_cache_eviction_reason === 'expire')?.value).toBe(1)
    // never the key
    expect(all.some((x) => Object.values(x.labels).includes('user:1'))).toBe(false)
  })

  it('records http.client.request.duration in seconds with the semconv buckets; a cache hit is no client request', async () => {
    const m = make().instrument()
    httpRequest(3)
    httpRequest(30, { cache: 'hit' })
    httpRequest(300, { statusCode: 503 })
    httpRequest(12, { statusCode: undefined, error: { code: 'UND_ERR_CONNECT_TIMEOUT', message: 'x' } })
    const text = await m.text()
    const all = samples(text)
    const counts = all.filter((x) => x.name === 'http_client_request_duration_seconds_count')
    expect(counts.reduce((a, b) => a + b.value, 0)).toBe(3)
    const sum = all
      .filter((x) => x.name === 'http_client_request_duration_seconds_sum')
      .reduce((a, b) => a + b.value, 0)
    expect(sum).toBeCloseTo(0.315, 6)
    // the hit made no network call: its own histogram, never http.client.request.duration
    expect(counts.some((x) => x.labels.hotpath_http_cache === 'hit')).toBe(false)
    const hits = all.filter((x) => x.name === 'hotpath_http_client_cache_duration_seconds_count')
    expect(hits.map((x) => [x.labels.hotpath_http_cache, x.value])).toEqual([['hit', 1]])
    const les = new Set(
      all.filter((x) => x.name === 'http_client_request_duration_seconds_bucket').map((x) => x.labels.le),
    )
    expect([...les]).toEqual([
      '0.005',
      '0.01',
      '0.025',
      '0.05',
      '0.075',
      '0.1',
      '0.25',
      '0.5',
      '0.75',
      '1',
      '2.5',
      '5',
      '7.5',
      '10',
      '+Inf',
    ])
    expect(hits.find((x) => x.labels.hotpath_http_cache === 'hit')?.labels.server_address).toBe('127.0.0.1')
    expect(counts.find((x) => x.labels.http_response_status_code === '503')?.labels.error_type).toBe('503')
    expect(counts.find((x) => x.labels.error_type === 'UND_ERR_CONNECT_TIMEOUT')).toBeDefined()
    expect(text).not.toContain('/items/123') // the path is never an attribute
    expect(text).toContain('server_port="9000"')
  })

  it('records db.client.operation.duration by system, operation and summary, never the SQL text', async () => {
    const m = make().instrument()
    dbQuery(2)
    dbQuery(4, { error: { code: '57014', message: 'canceling statement' } })
    dbQuery(1, {
      system: 'sqlite',
      fingerprint: 'insert into t values (?)',
      summary: 'INSERT t',
      operation: 'INSERT',
    })
    const text = await m.text()
    const counts = samples(text).filter((x) => x.name === 'db_client_operation_duration_seconds_count')
    expect(counts).toHaveLength(3)
    const pg = counts.filter((x) => x.labels.db_system_name === 'postgresql')
    expect(pg.map((x) => x.labels.db_query_summary)).toEqual(['SELECT orders', 'SELECT orders'])
    expect(pg.find((x) => x.labels.error_type === '57014')?.value).toBe(1)
    expect(counts.find((x) => x.labels.db_operation_name === 'INSERT')?.labels.db_namespace).toBe('main')
    expect(text).not.toContain('where id')
    const les = new Set(
      samples(text)
        .filter((x) => x.name === 'db_client_operation_duration_seconds_bucket')
        .map((x) => x.labels.le),
    )
    expect([...les]).toEqual(['0.001', '0.005', '0.01', '0.05', '0.1', '0.5', '1', '5', '10', '+Inf'])
  })

  it('records pool wait and use time and timeouts', async () => {
    const m = make().instrument()
    ch.poolAcquire.publish({ pool: 'main', waitMs: 4 })
    ch.poolAcquire.publish({ pool: 'main', waitMs: 6 })
    ch.poolRelease.publish({ pool: 'main', useMs: 20 })
    ch.poolTimeout.publish({ pool: 'main', waitMs: 1000, pending: 7 })
    const all = samples(await m.text())
    expect(all.find((x) => x.name === 'db_client_connection_wait_time_seconds_count')?.value).toBe(2)
    expect(all.find((x) => x.name === 'db_client_connection_wait_time_seconds_sum')?.value).toBeCloseTo(
      0.01,
      9,
    )
    expect(
      all.find((x) => x.name === 'db_client_connection_use_time_seconds_count')?.labels
        .db_client_connection_pool_name,
    ).toBe('main')
    expect(all.find((x) => x.name === 'db_client_connection_timeouts_total')?.value).toBe(1)
  })

  it('counts breaker transitions, rate-limit waits, pool leaks and idle errors', async () => {
    const m = make().instrument()
    const { channel } = await import('node:diagnostics_channel')
    channel('hotpath:cache:breaker').publish({ cache: 'users', state: 'open' })
    channel('hotpath:cache:breaker').publish({ cache: 'users', state: 'half-open' })
    channel('hotpath:http:breaker').publish({
      client: 'upstream',
      origin: 'http://api.internal:81',
      state: 'open',
    })
    channel('hotpath:http:ratelimit').publish({
      client: 'upstream',
      origin: 'http://api.internal:81',
      waitMs: 250,
    })
    channel('hotpath:db:pool:leak').publish({
      pool: 'main',
      heldMs: 60_000,
      stack: 'Error\n    at secret (file.ts:1)',
    })
    channel('hotpath:db:pool:error').publish({ pool: 'main', error: new Error('reset') })
    const text = await m.text()
    const all = samples(text)
    const cacheBreaker = all.filter((x) => x.name === 'hotpath_cache_breaker_transitions_total')
    expect(cacheBreaker.map((x) => x.labels.hotpath_breaker_state).sort()).toEqual(['half-open', 'open'])
    expect(
      all.find((x) => x.name === 'hotpath_http_client_breaker_transitions_total')?.labels.server_address,
    ).toBe('api.internal')
    expect(
      all.find((x) => x.name === 'hotpath_http_client_ratelimit_wait_time_seconds_sum')?.value,
    ).toBeCloseTo(0.25, 9)
    expect(all.find((x) => x.name === 'hotpath_db_pool_leaks_total')?.value).toBe(1)
    expect(all.find((x) => x.name === 'hotpath_db_pool_errors_total')?.value).toBe(1)
    expect(text).not.toContain('secret')
  })

  it('honours instrument({ http: false })', async () => {
    const m = make().instrument({ http: false })
    expect(ch.httpRequest.hasSubscribers).toBe(false)
    httpRequest(5)
    cacheGet('c', 'hit', 'l1')
    const text = await m.text()
    expect(text).not.toContain('http_client_request_duration_seconds_count')
    expect(text).toContain('hotpath_cache_operations_total')
  })

  it('ignores malformed payloads without throwing into the publisher', async () => {
    const m = make().instrument()
    expect(() => {
      ch.httpRequest.publish({ client: 'x' })
      ch.dbQuery.publish(null as never)
      ch.poolAcquire.publish({ pool: 'p', waitMs: 'soon' })
      ch.cacheGet.publish({ cache: 'c', result: 'weird', tier: 7 })
    }).not.toThrow()
    const ops = samples(await m.text()).filter((x) => x.name === 'hotpath_cache_operations_total')
    expect(ops[0]?.labels.hotpath_cache_result).toBe('other')
    expect(ops[0]?.labels.hotpath_cache_tier).toBe('other')
  })
})

describe('bounded cardinality', () => {
  it('folds attribute sets past the limit into otel.metric.overflow=true and keeps counting', async () => {
    const m = make({ cardinalityLimit: 5 }).instrument()
    for (let i = 0; i < 50; i++) cacheGet(`cache-${i}`, 'hit', 'l1', 2)
    const ops = samples(await m.text()).filter((x) => x.name === 'hotpath_cache_operations_total')
    expect(ops).toHaveLength(6)
    const overflow = ops.find((x) => x.labels.otel_metric_overflow === 'true')
    expect(overflow?.value).toBe(90)
    expect(ops.reduce((a, b) => a + b.value, 0)).toBe(100)
  })

  it('uses the route template and folds unknown methods to _OTHER', async () => {
    const m = make()
    m.recordServerRequest({ method: 'GET', route: '/orders/:id', statusCode: 200, durationMs: 1 })
    m.recordServerRequest({ method: 'get', route: '/orders/:id', statusCode: 200, durationMs: 1 })
    m.recordServerRequest({ method: 'BREW', route: '/orders/:id', statusCode: 500, durationMs: 1 })
    const counts = samples(await m.text()).filter(
      (x) => x.name === 'http_server_request_duration_seconds_count',
    )
    expect(counts.find((x) => x.labels.http_request_method === 'GET')?.value).toBe(2)
    const other = counts.find((x) => x.labels.http_request_method === '_OTHER')
    expect(other?.labels.error_type).toBe('500')
    expect(other?.labels.http_route).toBe('/orders/:id')
  })
})

describe('observe(x): stats() through observable instruments', () => {
  it('reads cache entries, pool connections and http pool on every collection', async () => {
    const m = make()
    let entries = 10
    m.observe({ stats: () => ({ kind: 'cache', name: 'users', entries }) })
    m.observe({
      stats: () => ({ kind: 'pool', name: 'main', size: 5, idle: 2, used: 3, pending: 4, min: 0, max: 10 }),
    })
    m.observe({
      stats: () => ({
        kind: 'http',
        name: 'upstream',
        pool: { connected: 6, free: 2, pending: 0, running: 4, size: 6 },
      }),
    })
    const first = samples(await m.text())
    expect(first.find((x) => x.name === 'hotpath_cache_entries')?.value).toBe(10)
    entries = 25
    const second = samples(await m.text())
    expect(second.find((x) => x.name === 'hotpath_cache_entries')?.value).toBe(25)
    const conn = second.filter((x) => x.name === 'db_client_connections_usage')
    expect(conn.find((x) => x.labels.db_client_connection_state === 'idle')?.value).toBe(2)
    expect(conn.find((x) => x.labels.db_client_connection_state === 'used')?.value).toBe(3)
    expect(second.find((x) => x.name === 'db_client_connection_pending_requests')?.value).toBe(4)
    expect(second.find((x) => x.name === 'db_client_connection_max')?.value).toBe(10)
    const open = second.filter((x) => x.name === 'http_client_open_connections')
    expect(open.find((x) => x.labels.http_connection_state === 'active')?.value).toBe(4)
  })

  it('unobserve stops reading; a target whose stats() starts throwing is skipped', async () => {
    const m = make()
    let fail = false
    const stop = m.observe({ stats: () => ({ kind: 'cache', name: 'a', entries: 1 }) })
    m.observe({
      stats: () => {
        if (fail) throw new Error('gone')
        return { kind: 'cache', name: 'b', entries: 2 }
      },
    })
    stop()
    fail = true
    const entries = samples(await m.text()).filter((x) => x.name === 'hotpath_cache_entries')
    expect(entries).toEqual([])
  })

  it('a database and its pool count once', async () => {
    const m = make()
    const pool = { kind: 'pool', name: 'main', size: 2, idle: 1, used: 1, pending: 0, min: 0, max: 4 }
    m.observe({ stats: () => pool })
    m.observe({
      stats: () => ({
        kind: 'database',
        name: 'main',
        system: 'sqlite',
        pool,
        queries: [],
        queryCache: { hits: 0, misses: 0 },
      }),
    })
    const idle = samples(await m.text()).filter(
      (x) => x.name === 'db_client_connections_usage' && x.labels.db_client_connection_state === 'idle',
    )
    expect(idle).toHaveLength(1)
  })
})

describe('custom pre-aggregated instruments', () => {
  it('histogram() and counter() export like the built-ins; attribute order does not split series', async () => {
    const m = make()
    const h = m.histogram('app.job.duration', { unit: 's', description: 'job time', boundaries: [0.1, 1] })
    h.record(0.05, { queue: 'a', kind: 'x' })
    h.record(0.5, { kind: 'x', queue: 'a' })
    h.record(5, { queue: 'b', kind: 'x' })
    m.counter('app.jobs').add(3, { queue: 'a' })
    const all = samples(await m.text())
    const counts = all.filter((x) => x.name === 'app_job_duration_seconds_count')
    expect(counts.find((x) => x.labels.queue === 'a')?.value).toBe(2)
    const buckets = all
      .filter((x) => x.name === 'app_job_duration_seconds_bucket' && x.labels.queue === 'a')
      .map((x) => x.value)
    expect(buckets).toEqual([1, 2, 2])
    expect(all.find((x) => x.name === 'app_jobs_total')?.value).toBe(3)
    expect(m.histogram('app.job.duration')).toBe(h)
  })
})
