// Wires the hotpath packages for one mode. `baseline` is the service as most start out: no caches,
// a single database connection, a fresh fetch per upstream call. `optimized` turns hotpath on.
import { type Cache, createCache, createIdempotencyStore, type IdempotencyStore } from '@hotpath/cache'
import { createDatabase, type Database, postgres, sqlite } from '@hotpath/db'
import { createHttpClient, type HttpClient } from '@hotpath/http'
import { createMetrics, type Metrics } from '@hotpath/metrics'

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
}

export interface Services {
  mode: Mode
  db: Database
  /** Undefined in baseline mode. */
  cache: Cache | undefined
  /** Undefined in baseline mode (plain fetch instead). */
  http: HttpClient | undefined
  metrics: Metrics
  /** Idempotency-Key records (in both modes: correctness, not an optimization); shared through Redis when set. */
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

/** The SQL text as written: @hotpath/db runs `$1` placeholders on both drivers (kept for its call sites). */
export function sqlFor(_db: Database, text: string): string {
  return text
}

export function createServices(config: ServiceConfig): Services {
  const optimized = config.mode === 'optimized'
  const metrics = createMetrics({
    serviceName: config.serviceName ?? `orders-api-${config.mode}`,
    ...(config.cluster ? { cluster: true } : {}),
  })
  const cache = optimized
    ? createCache({
        namespace: 'orders-api',
        ttl: 30_000,
        grace: 60_000,
        ...(config.redisUrl ? { l2: { redisUrl: config.redisUrl }, bus: { redisUrl: config.redisUrl } } : {}),
      })
    : undefined
  const idempotencyCache = createCache({
    namespace: 'orders-api-idempotency',
    ...(config.redisUrl ? { l2: { redisUrl: config.redisUrl } } : {}),
  })
  const idempotency = createIdempotencyStore<StoredResponse>(idempotencyCache, { ttl: 24 * 3600_000 })
  const driver = config.postgresUrl
    ? postgres({ connectionString: config.postgresUrl })
    : sqlite({ filename: config.sqliteFile })
  const db = createDatabase({
    name: 'orders',
    driver,
    pool: optimized ? { max: 8 } : { max: 1 },
    queryCache: cache ?? false,
  })
  const http = optimized
    ? createHttpClient({ name: 'rates', origin: config.upstreamOrigin, connections: 16 })
    : undefined
  metrics.instrument()
  metrics.observe(db)
  if (cache) metrics.observe(cache)
  if (http) metrics.observe(http)

  let closed: Promise<void> | undefined
  return {
    mode: config.mode,
    db,
    cache,
    http,
    metrics,
    idempotency,
    upstreamOrigin: config.upstreamOrigin,
    redisConfigured: config.redisUrl !== undefined,
    redisUrl: config.redisUrl,
    close() {
      closed ??= (async () => {
        await http?.close()
        await db.close()
        await cache?.close()
        await idempotencyCache.close()
        await metrics.close()
      })()
      return closed
    },
  }
}
