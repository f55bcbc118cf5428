// Circuit breaker policy: one breaker per origin. Composed inside the cache, so a fresh or usable-stale cached
// response never reaches it; it judges exactly what the origin did (status or fault) on every attempt.
import { type Clock, isHotpathError, optionChecks } from '@hotpath/core'
import { type BreakerOptions, CircuitBreaker } from '../breaker.ts'
import { type BreakerState, breakerChannel } from '../channels.ts'
import { toUpstreamError } from '../errors.ts'
import {
  type Controller,
  type Dispatch,
  StatusForward,
  fail,
  forward,
  type Handler,
  originOf,
} from './forward.ts'
import type { ResponseHeaders } from '../response.ts'

const check = optionChecks('HOTPATH_HTTP_INVALID_OPTION')
const BREAKER_KEYS: readonly string[] = ['threshold', 'halfOpenAfter', 'failureStatusCodes']

export interface BreakerInterceptorOptions {
  breaker?: BreakerOptions | false
  /** Canonical origin -> that origin's `breaker` option (undefined: the client's). */
  perOrigin?: ReadonlyMap<string, { breaker?: unknown }>
  /** Client name, for the breaker channel. */
  client: string
  clock: Clock
}

export interface BreakerInterceptor {
  (dispatch: Dispatch): Dispatch
  /** State of every origin's breaker. */
  states(): Record<string, BreakerState>
}

/** Validates a `breaker` option (`name` is its path in the options, for the error). */
export function resolveBreaker(name: string, value: unknown): Required<BreakerOptions> | false {
  if (value === false) return false
  const b = value === undefined ? {} : (check.object(name, value) ?? check.fail(name, value, 'an object'))
  for (const key of Object.keys(b)) {
    if (BREAKER_KEYS.includes(key)) continue
    check.fail(
      `${name}.${key}`,
      b[key],
      key === 'resetTimeout'
        ? 'no such option (renamed to "halfOpenAfter")'
        : `no such option (known: ${BREAKER_KEYS.join(', ')})`,
    )
  }
  const failureStatusCodes = b.failureStatusCodes ?? [502, 503, 504]
  if (
    !Array.isArray(failureStatusCodes) ||
    failureStatusCodes.some((s) => !Number.isInteger(s) || s < 100 || s > 599)
  ) {
    check.fail(`${name}.failureStatusCodes`, b.failureStatusCodes, 'an array of HTTP status codes (100-599)')
  }
  return {
    failureStatusCodes: failureStatusCodes as number[],
    threshold: check.integer(`${name}.threshold`, b.threshold, 5, 1),
    halfOpenAfter: check.integer(`${name}.halfOpenAfter`, b.halfOpenAfter, 10_000, 1),
  }
}

/** The breaker policy, or undefined when no origin has a breaker. Validates its options once, here. */
export function breakerInterceptor(options: BreakerInterceptorOptions): BreakerInterceptor | undefined {
  const base = resolveBreaker('breaker', options.breaker)
  const overrides = new Map<string, Required<BreakerOptions> | false>()
  for (const [origin, o] of options.perOrigin ?? []) {
    if (o.breaker !== undefined)
      overrides.set(origin, resolveBreaker(`perOrigin[${JSON.stringify(origin)}].breaker`, o.breaker))
  }
  if (base === false && ![...overrides.values()].some((b) => b !== false)) return undefined
  const { client, clock } = options
  const onChange = (origin: string, state: BreakerState): void => {
    if (breakerChannel.hasSubscribers) breakerChannel.publish({ client, origin, state })
  }
  /** origin -> its breaker (null: none there) */
  const breakers = new Map<string, CircuitBreaker | null>()
  const breakerOf = (origin: string): CircuitBreaker | null => {
    let b = breakers.get(origin)
    if (b === undefined) {
      const o = overrides.has(origin) ? overrides.get(origin) : base
      b = o === false || o === undefined ? null : new CircuitBreaker(origin, o, onChange, clock)
      if (breakers.size < 10_000) breakers.set(origin, b)
    }
    return b
  }
  const interceptor = (dispatch: Dispatch): Dispatch =>
    function breaker(opts, handler) {
      const origin = originOf(opts)
      const b = breakerOf(origin)
      if (b === null) return dispatch(opts, handler)
      let probe: boolean
      try {
        probe = b.enter()
      } catch (error) {
        return fail(handler, error as Error)
      }
      return forward(dispatch, opts, new BreakerHandler(handler, b, probe, opts.method, origin))
    }
  return Object.assign(interceptor, {
    states(): Record<string, BreakerState> {
      const out: Record<string, BreakerState> = {}
      for (const [origin, b] of breakers) if (b !== null) out[origin] = b.state
      return out
    },
  })
}

class BreakerHandler extends StatusForward {
  readonly #breaker: CircuitBreaker
  readonly #probe: boolean
  readonly #method: string
  readonly #origin: string
  #judged = false

  constructor(next: Handler, breaker: CircuitBreaker, probe: boolean, method: string, origin: string) {
    super(next)
    this.#breaker = breaker
    this.#probe = probe
    this.#method = method
    this.#origin = origin
  }

  override onResponseEnd(controller: Controller, trailers: ResponseHeaders): void {
    if (!this.#judged) {
      this.#judged = true
      this.#breaker.judgeStatus(this.status, this.#probe)
    }
    super.onResponseEnd(controller, trailers)
  }

  override onResponseError(controller: Controller, error: Error): void {
    if (!this.#judged) {
      this.#judged = true
      // our own refusals further in (closed, rate limit, queue timeout) say nothing about the origin
      if (isHotpathError(error)) this.#breaker.release(this.#probe)
      else
        this.#breaker.judgeError(
          toUpstreamError(error, this.#method, this.#origin, this.status !== 0).code,
          this.#probe,
        )
    }
    super.onResponseError(controller, error)
  }
}
