// Wires the hotpath packages for one mode. `baseline` is the service as most start out: no caches,
// a single database connection, a fresh fetch per upstream call. `optimized` turns hotpath on.
import {
  type BusOptions,
  type Cache,
  clusterBus,
  createCache,
  createIdempotencyStore,
  type IdempotencyStore,
} from '@hotpath/cache'
import { createDatabase, type Database, postgres, sqlite } from '@hotpath/db'
import { createHttpClient, type HttpClient } from '@hotpath/http'
import { createMetrics, type Metrics } from '@hotpath/metrics'
import { type AuditLog, type AuditOptions, createAuditQueue, createSyncAudit } from './audit.ts'
import { createDbIdempotencyStore } from './idempotency-db.ts'
import { createPrices, type Prices } from './prices.ts'
import type { SlowLog } from './slow-log.ts'

export type Mode = 'baseline' | 'optimized'

export interface ServiceConfig {
  mode: Mode
  /** SQLite file; ignored when `postgresUrl` is set. */
  sqliteFile: string
  postgresUrl?: string
  /** Redis for the shared L2 cache and the invalidation bus (optional). */
  redisUrl?: string
  upstreamOrigin: string
  serviceName?: string
  /** Serve one /metrics for all node:cluster workers. */
  cluster?: boolean
  /**
   * A node:cluster worker without `redisUrl`: the service and HTTP caches invalidate the other workers' L1
   * copies over the cluster IPC bus (the primary runs clusterBusRelay()). Ignored with `redisUrl`.
   */
  clusterBus?: boolean
  /** Prefix of the cache namespaces in Redis (instances sharing a database share it). Default 'orders-api'. */
  namespace?: string
  /** Audit queue settings (optimized mode). */
  audit?: AuditOptions
  /** Bearer token of the /debug routes; without one they answer 404. */
  debugToken?: string
  /** Requests per client per window (`rateLimitWindow` ms); 0 turns the limit off. Default 0. */
  rateLimit?: number
  rateLimitWindow?: number
  /** Requests slower than this (ms) are logged on stderr with route, timings and DB time. Default 500. */
  slowRequestThreshold?: number
  /** Where slow-request lines go. Default: stderr. */
  slowRequestWrite?: (line: string) => void
  /**
   * false: @hotpath/metrics records nothing (no subscriptions, runtime instruments, request histogram, /metrics);
   * what the orders-metrics benchmark compares against. Default true.
   */
  metrics?: boolean
}

export interface Services {
  mode: Mode
  db: Database
  /** Undefined in baseline mode. */
  cache: Cache | undefined
  /** Undefined in baseline mode (plain fetch instead). */
  http: HttpClient | undefined
  metrics: Metrics
  /** Rates and shipping quotes from the upstream. */
  prices: Prices
  audit: AuditLog
  config: ServiceConfig
  /** Set by buildApp. */
  slowLog?: SlowLog
  /** Requests answered by the API routes (not /health, /ready, /metrics, /debug): the demo's denominator. */
  counters: { requests: number }
  /** Rate-limit counts (both modes): L1 only, or Redis only (no L1 copy that another worker's count bypasses). */
  rateLimitCache: Cache
  /** Idempotency-Key records (in both modes: correctness, not an optimization): in Redis when set, else in the database. */
  idempotency: IdempotencyStore<StoredResponse>
  upstreamOrigin: string
  redisConfigured: boolean
  /** The configured Redis URL (checked by /ready). */
  redisUrl: string | undefined
  close(): Promise<void>
}

/** A completed response kept for an Idempotency-Key: replayed byte for byte. */
export interface StoredResponse {
  /** Fingerprint of the request (method, route, body) that produced it. */
  fingerprint: string
  status: number
  headers: Record<string, string>
  body: string
}

export function createServices(config: ServiceConfig): Services {
  const optimized = config.mode === 'optimized'
  const ns = config.namespace ?? 'orders-api'
  const metricsOn = config.metrics !== false
  // Off, the instance still exists (the debug report and the audit counter take one) but nothing records into it.
  const metrics = createMetrics({
    serviceName: config.serviceName ?? `orders-api-${config.mode}`,
    ...(config.cluster && metricsOn ? { cluster: true } : {}),
    ...(metricsOn ? {} : { runtime: false }),
  })
  // Without Redis, the workers of a cluster keep each other's L1 copies coherent over IPC: the caches of
  // database rows and upstream answers get the bus. Not the rate-limit counts (the bus carries none).
  const ipcBus = (): { bus?: BusOptions } =>
    config.clusterBus && !config.redisUrl ? { bus: { transport: clusterBus() } } : {}
  const cache = optimized
    ? createCache({
        namespace: ns,
        ttl: 30_000,
        grace: 60_000,
        ...(config.redisUrl
          ? { l2: { redisUrl: config.redisUrl }, bus: { redisUrl: config.redisUrl } }
          : ipcBus()),
      })
    : undefined
  const rateLimitCache = createCache({
    namespace: `${ns}-ratelimit`,
    ...(config.redisUrl ? { l1: false as const, l2: { redisUrl: config.redisUrl } } : {}),
  })
  const driver = config.postgresUrl
    ? postgres({ connectionString: config.postgresUrl })
    : sqlite({ filename: config.sqliteFile })
  const db = createDatabase({
    name: 'orders',
    driver,
    pool: optimized ? { max: 8 } : { max: 1 },
    // The routes cache through `cache` with explicit tags; the query cache would also drop them on every write.
    queryCache: false,
    slowQueryThreshold: 20,
  })
  // Idempotency-Key records: in Redis when configured, else in the database, which every worker and every
  // instance on it shares (an in-process record would let a retry on another worker run the write again).
  const idempotencyCache = config.redisUrl
    ? createCache({ namespace: `${ns}-idempotency`, l2: { redisUrl: config.redisUrl } })
    : undefined
  const idempotency =
    idempotencyCache !== undefined
      ? createIdempotencyStore<StoredResponse>(idempotencyCache, { ttl: 24 * 3600_000 })
      : createDbIdempotencyStore<StoredResponse>(db, { ttl: 24 * 3600_000 })
  // The HTTP cache of the upstream answers: shared through Redis (+ bus) when configured.
  const httpCache = optimized
    ? createCache({
        namespace: `${ns}-http`,
        ...(config.redisUrl
          ? { l2: { redisUrl: config.redisUrl }, bus: { redisUrl: config.redisUrl } }
          : ipcBus()),
      })
    : undefined
  const http = httpCache
    ? createHttpClient({
        name: 'upstream',
        origin: config.upstreamOrigin,
        connections: 16,
        cache: httpCache,
        retry: { retries: 2, minDelay: 50, maxDelay: 500 },
        rateLimit: { rps: 500, burst: 100, maxWait: 2_000 },
        breaker: { threshold: 5, halfOpenAfter: 5_000 },
        headersTimeout: 2_000,
        bodyTimeout: 2_000,
      })
    : undefined
  const prices = createPrices(http, config.upstreamOrigin)
  const auditCounter = metrics.counter('orders_api.audit.events', {
    unit: '{event}',
    description: 'audit events by result (written, dropped)',
  })
  const audit = optimized
    ? createAuditQueue(db, { ...config.audit, counter: auditCounter })
    : createSyncAudit(db, auditCounter)
  if (metricsOn) {
    metrics.instrument()
    metrics.observe(db)
    if (cache) metrics.observe(cache)
    if (http) metrics.observe(http)
  }

  let closed: Promise<void> | undefined
  return {
    mode: config.mode,
    db,
    cache,
    http,
    metrics,
    prices,
    audit,
    config,
    idempotency,
    rateLimitCache,
    counters: { requests: 0 },
    upstreamOrigin: config.upstreamOrigin,
    redisConfigured: config.redisUrl !== undefined,
    redisUrl: config.redisUrl,
    close() {
      closed ??= (async () => {
        // The audit queue is flushed while the database is still open.
        await audit.close()
        await http?.close()
        await httpCache?.close()
        await db.close()
        await cache?.close()
        await idempotencyCache?.close()
        await rateLimitCache.close()
        await metrics.close()
      })()
      return closed
    },
  }
}
