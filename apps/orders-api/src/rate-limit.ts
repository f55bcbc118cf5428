// Per-client rate limit: at most `limit` requests per client per fixed window of `window` ms, else
// 429 ORDERS_RATE_LIMITED with Retry-After (seconds to the next window). The client is the remote address.
// The count is the service cache's atomic counter (cache.increment): with REDIS_URL one count shared exactly by
// every worker and instance; without it, this process's own. When Redis does not answer, each process falls back
// to its own count (fail open to a per-process limit: an outage of the cache must not take the API down).
import { type Cache, type Clock, CounterUnavailableError, systemClock } from '@hotpath/cache'
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
  /** This process's own counts per window key: the fallback while the shared counter does not answer. */
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
    let count: number
    try {
      // The counter outlives its window a little: a late increment never starts an old window again.
      count = await cache.increment(key, { ttl: window * 2 })
    } catch (error) {
      if (!(error instanceof CounterUnavailableError)) throw error
      count = mine
    }
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
