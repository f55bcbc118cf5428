// Channel subscriptions: every hotpath:* event becomes an update of a pre-aggregated series.
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { dbStatusCode, errorType, nameOf, normalizeMethod, oneOf, serverOf } from './attributes.ts'
import { DB_DURATION_BUCKETS, GC_DURATION_BUCKETS, HTTP_DURATION_BUCKETS } from './buckets.ts'
import {
  CACHE_RESULTS,
  CACHE_TIERS,
  DB_SYSTEMS,
  EVICT_REASONS,
  HTTP_CACHE_OUTCOMES,
  L2_OPERATIONS,
  type Listener,
  type Payload,
  type Subscribe,
} from './contracts.ts'
import { type Attributes, type CounterFamily, HistogramFamily } from './instruments.ts'
import type { Exemplars } from './exemplars.ts'
import { NAMES } from './names.ts'
import { pgUntimed } from './pg-untimed.ts'
import { QueryTable } from './queries.ts'
import { Registry } from './registry.ts'
import { StateEvents } from './state-events.ts'

export interface InstrumentOptions {
  cache?: boolean
  http?: boolean
  db?: boolean
}

type Handler = (message: unknown, name: string | symbol) => void

export class Pipeline {
  readonly registry: Registry
  readonly cacheOperations: CounterFamily
  readonly cacheEvictions: CounterFamily
  readonly cacheFactoryDuration: HistogramFamily
  readonly cacheL2Errors: CounterFamily
  readonly httpClientDuration: HistogramFamily
  readonly httpClientRetries: CounterFamily
  readonly httpClientCacheOperations: CounterFamily
  readonly httpClientCacheDuration: HistogramFamily
  readonly httpServerDuration: HistogramFamily
  readonly dbOperationDuration: HistogramFamily
  /**
   * The same instrument for the statements instrumentation-pg does not time only (SQLite's, and PostgreSQL's
   * auto-pipelined reads and batches: see pg-untimed.ts), outside the registry: exported in place of the
   * full one while instrumentation-pg times the others (standardInstruments.db 'auto'). Undefined unless
   * that setting is 'auto'.
   */
  readonly dbPgUntimedDuration: HistogramFamily | undefined
  readonly dbWaitTime: HistogramFamily
  readonly dbUseTime: HistogramFamily
  readonly dbTimeouts: CounterFamily
  readonly gcDuration: HistogramFamily
  readonly queries: QueryTable
  /** Private: its listeners are typed by the channel contracts, which stay out of the declarations. */
  private readonly state: StateEvents
  /** Last `pending` seen on a pool timeout, by pool name. */
  readonly poolPending: Map<string, number> = new Map()
  /** Set when exemplars are on: latency measurements keep the span at hand. */
  exemplars: Exemplars | undefined
  private readonly subscriptions: Array<[string, Handler]> = []
  private readonly groups: Set<string> = new Set()

  /** `pgUntimedApart`: keep the durations instrumentation-pg does not time apart too (dbPgUntimedDuration). */
  constructor(cardinalityLimit: number, queryLimit: number, slowQueryLimit: number, pgUntimedApart = false) {
    const r = new Registry(cardinalityLimit)
    this.registry = r
    this.cacheOperations = r.counter({
      name: NAMES.cacheOperations,
      description: 'Cache lookups by result (hit, miss, stale) and tier (l1, l2, none)',
      unit: '{operation}',
    })
    this.cacheEvictions = r.counter({
      name: NAMES.cacheEvictions,
      description: 'Entries removed from the in-process tier, by reason',
      unit: '{entry}',
    })
    this.cacheFactoryDuration = r.histogram(
      {
        name: NAMES.cacheFactoryDuration,
        description: 'Duration of cache factory (loader) calls',
        unit: 's',
      },
      HTTP_DURATION_BUCKETS,
    )
    this.cacheL2Errors = r.counter({
      name: NAMES.cacheL2Errors,
      description: 'Failed or timed-out calls to the shared (L2) cache tier',
      unit: '{error}',
    })
    this.httpClientDuration = r.histogram(
      { name: NAMES.httpClientDuration, description: 'Duration of HTTP client requests', unit: 's' },
      HTTP_DURATION_BUCKETS,
    )
    this.httpClientCacheDuration = r.histogram(
      {
        name: NAMES.httpClientCacheDuration,
        description:
          'Duration of HTTP client requests answered from the response cache without a network call (hit, stale)',
        unit: 's',
      },
      HTTP_DURATION_BUCKETS,
    )
    this.httpClientCacheOperations = r.counter({
      name: NAMES.httpClientCacheOperations,
      description:
        'Cacheable HTTP client requests by cache outcome (hit and stale: served without a network call)',
      unit: '{request}',
    })
    this.httpClientRetries = r.counter({
      name: NAMES.httpClientRetries,
      description: 'HTTP client request retries',
      unit: '{retry}',
    })
    this.httpServerDuration = r.histogram(
      { name: NAMES.httpServerDuration, description: 'Duration of HTTP server requests', unit: 's' },
      HTTP_DURATION_BUCKETS,
    )
    this.dbOperationDuration = r.histogram(
      { name: NAMES.dbOperationDuration, description: 'Duration of database client operations', unit: 's' },
      DB_DURATION_BUCKETS,
    )
    this.dbPgUntimedDuration = pgUntimedApart
      ? new HistogramFamily(
          {
            name: NAMES.dbOperationDuration,
            description: 'Duration of database client operations',
            unit: 's',
          },
          DB_DURATION_BUCKETS,
          cardinalityLimit,
        )
      : undefined
    this.dbWaitTime = r.histogram(
      {
        name: NAMES.dbWaitTime,
        description: 'Time it took to obtain an open connection from the pool',
        unit: 's',
      },
      DB_DURATION_BUCKETS,
    )
    this.dbUseTime = r.histogram(
      {
        name: NAMES.dbUseTime,
        description: 'Time between borrowing a connection and returning it to the pool',
        unit: 's',
      },
      DB_DURATION_BUCKETS,
    )
    this.dbTimeouts = r.counter({
      name: NAMES.dbTimeouts,
      description: 'Connection acquisitions that timed out',
      unit: '{timeout}',
    })
    this.gcDuration = r.histogram(
      { name: NAMES.gcDuration, description: 'Garbage collection duration', unit: 's' },
      GC_DURATION_BUCKETS,
    )
    this.queries = new QueryTable(queryLimit, slowQueryLimit)
    this.state = new StateEvents(r)
  }

  /** Subscribes to the channels of the given groups (all by default); subscribing twice is a no-op. */
  subscribe(options: InstrumentOptions): void {
    if (options.cache !== false && !this.groups.has('cache')) {
      this.groups.add('cache')
      this.on('hotpath:cache:get', this.onCacheGet)
      this.on('hotpath:cache:evict', this.onCacheEvict)
      this.on('hotpath:cache:factory', this.onCacheFactory)
      this.on('hotpath:cache:l2:error', this.onCacheL2Error)
      this.state.subscribeCache(this.on)
    }
    if (options.http !== false && !this.groups.has('http')) {
      this.groups.add('http')
      this.on('hotpath:http:request', this.onHttpRequest)
      this.on('hotpath:http:retry', this.onHttpRetry)
      this.state.subscribeHttp(this.on)
    }
    if (options.db !== false && !this.groups.has('db')) {
      this.groups.add('db')
      this.on('hotpath:db:query', this.onDbQuery)
      this.on('hotpath:db:slow-query', this.onDbSlowQuery)
      this.on('hotpath:db:pool:acquire', this.onPoolAcquire)
      this.on('hotpath:db:pool:release', this.onPoolRelease)
      this.on('hotpath:db:pool:timeout', this.onPoolTimeout)
      this.state.subscribeDb(this.on)
    }
  }

  get subscribedGroups(): string[] {
    return [...this.groups]
  }

  unsubscribeAll(): void {
    for (const [name, fn] of this.subscriptions) unsubscribe(name, fn)
    this.subscriptions.length = 0
    this.groups.clear()
  }

  /** The channels subscribed to now. */
  get channels(): string[] {
    return this.subscriptions.map(([name]) => name)
  }

  private readonly on: Subscribe = (name, fn) => {
    // A subscriber that throws would surface as an uncaught exception in the publisher's process:
    // malformed payloads are dropped instead.
    const safe: Handler = (message) => {
      if (typeof message !== 'object' || message === null) return
      try {
        fn(message as never)
      } catch {
        // dropped
      }
    }
    subscribe(name, safe)
    this.subscriptions.push([name, safe])
  }

  /** Records one server request (the Fastify plugin and hand-written servers call this). */
  recordServerRequest(
    method: string,
    route: string | undefined,
    statusCode: number,
    durationMs: number,
    scheme: 'http' | 'https' = 'http',
  ): void {
    const family = this.httpServerDuration
    // the scheme rides in the route key (https is rare behind a proxy): the 3-key fast path stays
    const routeKey = scheme === 'https' ? `https\u0000${route ?? ''}` : route
    const series =
      family.at3(method, routeKey, statusCode) ??
      family.bind([method, routeKey, statusCode], () => {
        const a: Attributes = {
          'http.request.method': normalizeMethod(method),
          'http.response.status_code': statusCode,
          'url.scheme': scheme,
        }
        if (route !== undefined && route !== '') a['http.route'] = route.slice(0, 256)
        if (statusCode >= 500) a['error.type'] = String(statusCode)
        return a
      })
    series.record(durationMs / 1000)
    this.exemplars?.sample(family, series, durationMs / 1000)
  }

  private readonly onCacheGet: Listener<'hotpath:cache:get'> = (m) => {
    const family = this.cacheOperations
    const series =
      family.at3(m.cache, m.result, m.tier) ??
      family.bind([m.cache, m.result, m.tier], () => ({
        'hotpath.cache.name': nameOf(m.cache),
        'hotpath.cache.result': oneOf(m.result, CACHE_RESULTS),
        'hotpath.cache.tier': oneOf(m.tier, CACHE_TIERS),
      }))
    series.value++
  }

  private readonly onCacheEvict: Listener<'hotpath:cache:evict'> = (m) => {
    const series =
      this.cacheEvictions.at2(m.cache, m.reason) ??
      this.cacheEvictions.bind([m.cache, m.reason], () => ({
        'hotpath.cache.name': nameOf(m.cache),
        'hotpath.cache.eviction.reason': oneOf(m.reason, EVICT_REASONS),
      }))
    series.value++
  }

  private readonly onCacheFactory: Listener<'hotpath:cache:factory'> = (m) => {
    if (typeof m.durationMs !== 'number') return
    const err =
      m.error !== undefined
        ? errorType(m.error)
        : m.timedOut !== undefined
          ? `timeout_${String(m.timedOut)}`
          : ''
    const series =
      this.cacheFactoryDuration.at2(m.cache, err) ??
      this.cacheFactoryDuration.bind([m.cache, err], () => {
        const a: Attributes = { 'hotpath.cache.name': nameOf(m.cache) }
        if (err !== '' && err !== undefined) a['error.type'] = err
        return a
      })
    series.record(m.durationMs / 1000)
    this.exemplars?.sample(this.cacheFactoryDuration, series, m.durationMs / 1000, m)
  }

  private readonly onCacheL2Error: Listener<'hotpath:cache:l2:error'> = (m) => {
    this.cacheL2Errors
      .bind([m.cache, m.operation, m.timeout === true], () => ({
        'hotpath.cache.name': nameOf(m.cache),
        'hotpath.cache.operation': oneOf(m.operation, L2_OPERATIONS),
        'hotpath.cache.timeout': m.timeout === true,
      }))
      .add(1)
  }

  private readonly onHttpRequest: Listener<'hotpath:http:request'> = (m) => {
    if (typeof m.durationMs !== 'number') return
    const err = m.error !== undefined && m.error !== null ? errorType(m.error) : undefined
    // a response served from the cache made no network call: it is no http.client.request.duration
    const family =
      m.cache === 'hit' || m.cache === 'stale' ? this.httpClientCacheDuration : this.httpClientDuration
    const values = [m.client, m.method, m.origin, m.statusCode, m.cache, err]
    const series =
      family.at(values) ??
      family.bind(values, () => {
        const server = serverOf(m.origin)
        const a: Attributes = {
          'hotpath.http.client': nameOf(m.client),
          'http.request.method': normalizeMethod(m.method),
          'server.address': server.address,
        }
        if (server.port !== undefined) a['server.port'] = server.port
        const status = typeof m.statusCode === 'number' ? m.statusCode : undefined
        if (status !== undefined) a['http.response.status_code'] = status
        if (err !== undefined) a['error.type'] = err
        else if (status !== undefined && status >= 500) a['error.type'] = String(status)
        a['hotpath.http.cache'] = oneOf(m.cache, HTTP_CACHE_OUTCOMES, 'bypass')
        return a
      })
    series.record(m.durationMs / 1000)
    this.exemplars?.sample(family, series, m.durationMs / 1000, m)
    if (m.cache !== 'bypass' && m.cache !== undefined) {
      this.httpClientCacheOperations
        .bind([m.client, m.cache], () => ({
          'hotpath.http.client': nameOf(m.client),
          'hotpath.http.cache': oneOf(m.cache, HTTP_CACHE_OUTCOMES, 'bypass'),
        }))
        .add(1)
    }
  }

  private readonly onHttpRetry: Listener<'hotpath:http:retry'> = (m) => {
    this.httpClientRetries
      .bind([m.client, m.origin], () => ({
        'hotpath.http.client': nameOf(m.client),
        'server.address': serverOf(m.origin).address,
      }))
      .add(1)
  }

  private readonly onDbQuery: Listener<'hotpath:db:query'> = (m) => {
    if (typeof m.durationMs !== 'number') return
    const sqlState = dbStatusCode(m.error)
    // error.type: the server's SQLSTATE when it sent one, else our code
    const err = sqlState ?? (m.error !== undefined && m.error !== null ? errorType(m.error) : undefined)
    const family = this.dbOperationDuration
    const values = [
      m.database,
      m.namespace,
      m.system,
      m.serverAddress,
      m.serverPort,
      m.operation,
      m.summary,
      err,
    ]
    const series = family.at(values) ?? family.bind(values, () => dbOperationAttributes(m, err, sqlState))
    series.record(m.durationMs / 1000)
    this.exemplars?.sample(family, series, m.durationMs / 1000, m)
    this.queries.record(m, m.durationMs)
    const untimed = this.dbPgUntimedDuration
    // the event says how the statement was sent: exported in place of the full instrument while pg is patched
    if (untimed !== undefined && pgUntimed(m))
      (untimed.at(values) ?? untimed.bind(values, () => dbOperationAttributes(m, err, sqlState))).record(
        m.durationMs / 1000,
      )
  }

  private readonly onDbSlowQuery: Listener<'hotpath:db:slow-query'> = (m) => {
    if (typeof m.durationMs === 'number') this.queries.recordSlow(m, m.durationMs)
  }

  private readonly onPoolAcquire: Listener<'hotpath:db:pool:acquire'> = (m) => {
    if (typeof m.waitMs !== 'number') return
    let series = this.dbWaitTime.at1(m.pool)
    if (series === undefined) {
      series = this.dbWaitTime.bind([m.pool], () => ({ 'db.client.connection.pool.name': nameOf(m.pool) }))
      // the timeouts counter exists at 0 from the pool's first acquire: dashboards and increase() see it
      const pool = nameOf(m.pool)
      this.dbTimeouts.bind([pool], () => ({ 'db.client.connection.pool.name': pool }))
    }
    series.record(m.waitMs / 1000)
  }

  private readonly onPoolRelease: Listener<'hotpath:db:pool:release'> = (m) => {
    if (typeof m.useMs !== 'number') return
    const series =
      this.dbUseTime.at1(m.pool) ??
      this.dbUseTime.bind([m.pool], () => ({ 'db.client.connection.pool.name': nameOf(m.pool) }))
    series.record(m.useMs / 1000)
  }

  private readonly onPoolTimeout: Listener<'hotpath:db:pool:timeout'> = (m) => {
    const pool = nameOf(m.pool)
    this.dbTimeouts.bind([pool], () => ({ 'db.client.connection.pool.name': pool })).add(1)
    if (typeof m.pending === 'number') this.poolPending.set(pool, m.pending)
  }
}

/** The attributes of a db.client.operation.duration series, from the first event of the series. */
function dbOperationAttributes(
  m: Payload<'hotpath:db:query'>,
  err: string | undefined,
  sqlState: string | undefined,
): Attributes {
  const a: Attributes = {
    'db.system.name': oneOf(m.system, DB_SYSTEMS),
    // the database connected to; an older publisher without `namespace` has only our name for it
    'db.namespace': nameOf(typeof m.namespace === 'string' ? m.namespace : m.database),
    'db.operation.name': typeof m.operation === 'string' ? m.operation.slice(0, 32) : 'unknown',
    'db.query.summary': typeof m.summary === 'string' ? m.summary.slice(0, 128) : 'unknown',
  }
  if (typeof m.serverAddress === 'string') a['server.address'] = m.serverAddress.slice(0, 256)
  if (typeof m.serverPort === 'number') a['server.port'] = m.serverPort
  if (err !== undefined) a['error.type'] = err
  if (sqlState !== undefined) a['db.response.status_code'] = sqlState
  return a
}
