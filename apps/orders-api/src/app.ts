// The Fastify app: products, customers and orders over @hotpath/db, cached with @hotpath/cache, prices from the
// upstream through @hotpath/http, metrics and the report from @hotpath/metrics.
import { randomUUID } from 'node:crypto'
import compress from '@fastify/compress'
import metricsPlugin from '@hotpath/metrics/fastify'
import Fastify, { type FastifyInstance } from 'fastify'
import { registerDebugRoutes } from './debug.ts'
import { BODY_LIMIT, registerErrorHandlers } from './http-support.ts'
import { registerIdempotency } from './idempotency.ts'
import { registerRateLimit } from './rate-limit.ts'
import { registerReady } from './ready.ts'
import { registerCustomerRoutes } from './routes/customers.ts'
import { registerOrderRoutes } from './routes/orders.ts'
import { registerProductRoutes } from './routes/products.ts'
import type { Services } from './services.ts'
import { registerSlowLog } from './slow-log.ts'

export type { Order } from './routes/orders.ts'
export { BODY_LIMIT, CURRENCIES } from './http-support.ts'

const processId = randomUUID()
let requestSeq = 0

/** The API routes: what `services.counters.requests` counts (not probes, scrapes or debug routes). */
const UNCOUNTED = /^\/(health|ready|metrics|debug)(\/|$|\?)/

export function buildApp(services: Services): FastifyInstance {
  const { metrics } = services
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    // Request ids name audit events: unique across workers and restarts (a random prefix per process, then a
    // counter: a UUID per request cost more than the rest of an L1-hit route's own code).
    genReqId: () => `${processId}-${(++requestSeq).toString(36)}`,
    // A request that reaches a draining server on a kept-alive connection is served, not answered 503: the
    // connection closes after it (graceful SIGTERM, MAX_REQUESTS recycling).
    return503OnClosing: false,
    // Strict JSON-schema validation: no type coercion of bodies ("5" is not 5), unknown fields rejected
    // (Fastify's default removeAdditional would drop them silently).
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  })
  registerErrorHandlers(app)
  // JSON only: a text/plain body is a 415, not a string that fails the schema.
  app.removeContentTypeParser('text/plain')
  const metricsOn = services.config.metrics !== false
  if (metricsOn) app.register(metricsPlugin, { metrics })
  // Responses over 1 KiB (product pages, order lists) are compressed for clients that accept it; the
  // Idempotency-Key hook stores the uncompressed body (its onSend runs first), so a replay is byte for byte.
  app.register(compress, { global: true, threshold: 1024, encodings: ['br', 'gzip', 'deflate'] })
  const { config } = services
  services.slowLog = registerSlowLog(app, config.slowRequestThreshold ?? 500, config.slowRequestWrite)
  if (config.rateLimit)
    registerRateLimit(app, {
      limit: config.rateLimit,
      window: config.rateLimitWindow ?? 1000,
      cache: services.rateLimitCache,
    })
  registerIdempotency(app, services)
  // Callback-style hooks on every request: an async hook costs a promise and a microtask per request.
  app.addHook('onResponse', (request, _reply, done) => {
    if (!UNCOUNTED.test(request.url)) services.counters.requests++
    done()
  })

  // Liveness: the process serves HTTP (no dependency checked; see /ready).
  app.get('/health', async () => ({ status: 'ok', mode: services.mode, pid: process.pid }))
  registerReady(app, services)
  // The data routes in a plugin loaded after @fastify/compress (it attaches itself to routes as they are added).
  app.register(async (api) => {
    registerProductRoutes(api, services)
    registerCustomerRoutes(api, services)
    registerOrderRoutes(api, services)
  })

  if (metricsOn)
    app.get('/metrics', (request, reply) => {
      reply.hijack()
      metrics.handler(request.raw, reply.raw)
    })
  registerDebugRoutes(app, services)
  return app
}
