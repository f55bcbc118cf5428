// Less frequent events: breaker transitions, rate-limit waits, pool leaks and idle-resource errors.
import { nameOf, oneOf, serverOf } from './attributes.ts'
import { HTTP_DURATION_BUCKETS } from './buckets.ts'
import type { CounterFamily, HistogramFamily } from './instruments.ts'
import { NAMES } from './names.ts'
import type { Registry } from './registry.ts'

type Handler = (message: unknown) => void
const STATES = ['open', 'half-open', 'closed']

export class StateEvents {
  readonly cacheBreaker: CounterFamily
  readonly httpBreaker: CounterFamily
  readonly httpRateLimitWait: HistogramFamily
  readonly poolLeaks: CounterFamily
  readonly poolErrors: CounterFamily

  constructor(r: Registry) {
    this.cacheBreaker = r.counter({
      name: NAMES.cacheBreakerTransitions,
      description: 'L2 circuit breaker transitions, by the state entered',
      unit: '{transition}',
    })
    this.httpBreaker = r.counter({
      name: NAMES.httpBreakerTransitions,
      description: 'Per-origin circuit breaker transitions, by the state entered',
      unit: '{transition}',
    })
    this.httpRateLimitWait = r.histogram(
      {
        name: NAMES.httpRateLimitWait,
        description: 'Time requests waited for the client rate limiter',
        unit: 's',
      },
      HTTP_DURATION_BUCKETS,
    )
    this.poolLeaks = r.counter({
      name: NAMES.poolLeaks,
      description: 'Connections held longer than the leak-detection threshold',
      unit: '{connection}',
    })
    this.poolErrors = r.counter({
      name: NAMES.poolErrors,
      description: 'Errors on idle pool connections',
      unit: '{error}',
    })
  }

  handlers(group: 'cache' | 'http' | 'db'): Array<[string, Handler]> {
    if (group === 'cache') return [['hotpath:cache:breaker', this.onCacheBreaker]]
    if (group === 'http') {
      return [
        ['hotpath:http:breaker', this.onHttpBreaker],
        ['hotpath:http:ratelimit', this.onRateLimit],
      ]
    }
    return [
      ['hotpath:db:pool:leak', this.onLeak],
      ['hotpath:db:pool:error', this.onPoolError],
    ]
  }

  private readonly onCacheBreaker = (message: unknown): void => {
    const m = message as { cache: unknown; state: unknown }
    this.cacheBreaker
      .bind([m.cache, m.state], () => ({
        'hotpath.cache.name': nameOf(m.cache),
        'hotpath.breaker.state': oneOf(m.state, STATES),
      }))
      .add(1)
  }

  private readonly onHttpBreaker = (message: unknown): void => {
    const m = message as { client: unknown; origin: unknown; state: unknown }
    this.httpBreaker
      .bind([m.client, m.origin, m.state], () => ({
        'hotpath.http.client': nameOf(m.client),
        'server.address': serverOf(m.origin).address,
        'hotpath.breaker.state': oneOf(m.state, STATES),
      }))
      .add(1)
  }

  private readonly onRateLimit = (message: unknown): void => {
    const m = message as { client: unknown; origin: unknown; waitMs: unknown }
    if (typeof m.waitMs !== 'number') return
    this.httpRateLimitWait
      .bind([m.client, m.origin], () => ({
        'hotpath.http.client': nameOf(m.client),
        'server.address': serverOf(m.origin).address,
      }))
      .record(m.waitMs / 1000)
  }

  private readonly onLeak = (message: unknown): void => {
    const m = message as { pool: unknown }
    this.poolLeaks.bind([m.pool], () => ({ 'db.client.connection.pool.name': nameOf(m.pool) })).add(1)
  }

  private readonly onPoolError = (message: unknown): void => {
    const m = message as { pool: unknown }
    this.poolErrors.bind([m.pool], () => ({ 'db.client.connection.pool.name': nameOf(m.pool) })).add(1)
  }
}
