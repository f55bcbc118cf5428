// Per-origin state: canonical origin, the dispatchers to use (dns only for hostnames), breaker and rate limiter.
// Looked up by the origin string as the caller wrote it, so the hot path needs no URL parse.
import { isIP } from 'node:net'
import type { Dispatcher } from 'undici'
import { CircuitBreaker } from './breaker.ts'
import { type BreakerState, breakerChannel } from './channels.ts'
import type { Dispatchers } from './dispatchers.ts'
import { InvalidRequestError } from './errors.ts'
import type { ResolvedOptions } from './options.ts'
import { TokenBucket } from './rate-limiter.ts'

export interface OriginState {
  origin: string
  /** Dispatcher without the cache interceptor. */
  direct: Dispatcher
  /** Dispatcher with the cache interceptor (same as direct when the cache is off). */
  cached: Dispatcher
  breaker: CircuitBreaker | undefined
  limiter: TokenBucket | undefined
}

export class Origins {
  readonly #map = new Map<string, OriginState>()
  readonly #o: ResolvedOptions
  readonly #d: Dispatchers
  readonly #onBreaker: (origin: string, state: BreakerState) => void

  constructor(o: ResolvedOptions, d: Dispatchers) {
    this.#o = o
    this.#d = d
    const client = o.name
    this.#onBreaker = (origin, state) => {
      if (breakerChannel.hasSubscribers) breakerChannel.publish({ client, origin, state })
    }
  }

  get(rawOrigin: string): OriginState {
    const known = this.#map.get(rawOrigin)
    if (known !== undefined) return known
    let url: URL
    try {
      url = new URL(rawOrigin)
    } catch (error) {
      throw new InvalidRequestError(
        'HOTPATH_HTTP_INVALID_URL',
        `invalid URL origin ${JSON.stringify(rawOrigin)}`,
        {
          cause: error,
        },
      )
    }
    const origin = url.origin
    let state = this.#map.get(origin)
    if (state === undefined) {
      const ip = isIP(url.hostname.replace(/^\[|\]$/g, '')) !== 0
      const o = this.#o.perOrigin.get(origin) ?? this.#o
      state = {
        origin,
        direct: ip ? this.#d.plain : this.#d.plainDns,
        cached: ip ? this.#d.cached : this.#d.cachedDns,
        breaker:
          o.breaker === false
            ? undefined
            : new CircuitBreaker(origin, o.breaker, this.#onBreaker, this.#o.clock),
        limiter: o.rateLimit === false ? undefined : new TokenBucket(origin, o.rateLimit, this.#o.clock),
      }
      this.#map.set(origin, state)
    }
    if (this.#map.size < 10_000) this.#map.set(rawOrigin, state)
    return state
  }

  /** Every distinct origin state. */
  all(): Set<OriginState> {
    return new Set(this.#map.values())
  }
}
