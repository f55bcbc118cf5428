// Per-client rate limit: at most `limit` requests per client per fixed window of `window` ms, else
// 429 ORDERS_RATE_LIMITED with Retry-After (seconds to the next window). The counts live in the service cache,
// so with REDIS_URL they are shared by every worker and instance. The client is the remote address.
// Across processes the count is a read-modify-write through the cache (@hotpath/cache has no atomic increment):
// concurrent requests of one client on different workers can each see the same count, so the shared limit may
// be exceeded by up to the number of such races. Within one process it is exact.
import { type Cache, type Clock, systemClock } from '@hotpath/cache'
import type { FastifyInstance } from 'fastify'
import { sendError } from './errors.ts'

export interface RateLimitOptions {
  limit: number
  window: number
  cache: Cache
  clock?: Clock
}

/** Routes the limit never applies to: probes, scrapes and the protected debug routes. */
const EXEMPT = /^\/(health|ready|metrics|debug)(\/|$|\?)/

export function registerRateLimit(app: FastifyInstance, options: RateLimitOptions): void {
  const { limit, window, cache } = options
  const clock = options.clock ?? systemClock
  /** This process's own counts per window key: exact even when concurrent requests race on the cache. */
  const local = new Map<string, number>()
  let localWindow = -1

  app.addHook('onRequest', async (request, reply) => {
    if (EXEMPT.test(request.url)) return
    const now = clock.epoch()
    const slot = Math.floor(now / window)
    if (slot !== localWindow) {
      local.clear()
      localWindow = slot
    }
    const key = `ratelimit:${request.ip}:${slot}`
    const mine = (local.get(key) ?? 0) + 1
    local.set(key, mine)
    const shared = ((await cache.get(key)) as number | undefined) ?? 0
    const count = Math.max(shared + 1, mine)
    // The entry outlives its window a little: a late write never resurrects an old count for a new window.
    await cache.set(key, count, { ttl: window * 2 })
    const remaining = Math.max(0, limit - count)
    reply.header('RateLimit-Limit', String(limit))
    reply.header('RateLimit-Remaining', String(remaining))
    if (count > limit) {
      const retryAfter = Math.max(1, Math.ceil(((slot + 1) * window - now) / 1000))
      reply.header('Retry-After', String(retryAfter))
      return sendError(
        reply,
        429,
        'ORDERS_RATE_LIMITED',
        `over ${limit} requests per ${window} ms; retry later`,
      )
    }
  })
}
