// Less frequent events: breaker transitions, rate-limit waits, pool leaks and idle-resource errors.
import { nameOf, oneOf, serverOf } from './attributes.ts'
import { HTTP_DURATION_BUCKETS } from './buckets.ts'
import { BREAKER_STATES, type Listener, type Subscribe } from './contracts.ts'
import type { CounterFamily, HistogramFamily } from './instruments.ts'
import { NAMES } from './names.ts'
import type { Registry } from './registry.ts'

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

  subscribeCache(on: Subscribe): void {
    on('hotpath:cache:breaker', this.onCacheBreaker)
  }

  subscribeHttp(on: Subscribe): void {
    on('hotpath:http:breaker', this.onHttpBreaker)
    on('hotpath:http:ratelimit', this.onRateLimit)
  }

  subscribeDb(on: Subscribe): void {
    on('hotpath:db:pool:leak', this.onLeak)
    on('hotpath:db:pool:error', this.onPoolError)
  }

  private readonly onCacheBreaker: Listener<'hotpath:cache:breaker'> = (m) => {
    this.cacheBreaker
      .bind([m.cache, m.state], () => ({
        'hotpath.cache.name': nameOf(m.cache),
        'hotpath.breaker.state': oneOf(m.state, BREAKER_STATES),
      }))
      .add(1)
  }

  private readonly onHttpBreaker: Listener<'hotpath:http:breaker'> = (m) => {
    this.httpBreaker
      .bind([m.client, m.origin, m.state], () => ({
        'hotpath.http.client': nameOf(m.client),
        'server.address': serverOf(m.origin).address,
        'hotpath.breaker.state': oneOf(m.state, BREAKER_STATES),
      }))
      .add(1)
  }

  private readonly onRateLimit: Listener<'hotpath:http:ratelimit'> = (m) => {
    if (typeof m.waitMs !== 'number') return
    this.httpRateLimitWait
      .bind([m.client, m.origin], () => ({
        'hotpath.http.client': nameOf(m.client),
        'server.address': serverOf(m.origin).address,
      }))
      .record(m.waitMs / 1000)
  }

  private readonly onLeak: Listener<'hotpath:db:pool:leak'> = (m) => {
    this.poolLeaks.bind([m.pool], () => ({ 'db.client.connection.pool.name': nameOf(m.pool) })).add(1)
  }

  private readonly onPoolError: Listener<'hotpath:db:pool:error'> = (m) => {
    this.poolErrors.bind([m.pool], () => ({ 'db.client.connection.pool.name': nameOf(m.pool) })).add(1)
  }
}
