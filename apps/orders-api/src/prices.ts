// Currency rates and shipping quotes from the upstream. Optimized: through @hotpath/http (HTTP cache, coalescing,
// retries, rate limit, breaker); when the upstream fails, the last good answer is served marked `stale`.
// A fresh answer is also kept parsed for the rest of its freshness (max-age minus Age): while it is fresh, the
// HTTP cache would hand out the same bytes, so the request, its lookup and the JSON parse are skipped.
// Baseline: a plain fetch per call and no fallback.
import { type Clock, systemClock } from '@hotpath/cache'
import type { HttpClient } from '@hotpath/http'
import { RequestError } from './errors.ts'

export interface Quote<T> {
  value: T
  /** True when the upstream could not be asked and an older answer is served. */
  stale: boolean
}

export interface ShippingQuote {
  cents: number
  days: number
}

export interface PricesStats {
  /** Upstream calls attempted (HTTP-cache hits included in optimized mode: see the upstream's own count). */
  calls: number
  /** Answers served stale (HTTP cache stale-if-error, or the last good answer after a failure). */
  stale: number
  /** Failures with nothing to fall back on (answered 503). */
  unavailable: number
}

export interface Prices {
  /** Units of `currency` per USD. */
  rate(currency: string, trace: Record<string, string>): Promise<Quote<number>>
  shipping(country: string, trace: Record<string, string>): Promise<Quote<ShippingQuote>>
  stats(): PricesStats
}

function parseRate(body: unknown): number | undefined {
  const rate = (body as { rate?: unknown } | null)?.rate
  return typeof rate === 'number' && rate > 0 ? rate : undefined
}

function parseShipping(body: unknown): ShippingQuote | undefined {
  const b = body as { cents?: unknown; days?: unknown } | null
  return typeof b?.cents === 'number' && typeof b.days === 'number'
    ? { cents: b.cents, days: b.days }
    : undefined
}

function unavailable(path: string, cause?: unknown): RequestError {
  const error = new RequestError(503, 'ORDERS_UPSTREAM_UNAVAILABLE', `upstream unavailable (${path})`)
  if (cause !== undefined) Object.defineProperty(error, 'cause', { value: cause })
  return error
}

/** Seconds an answer stays fresh from now: `max-age` minus `Age`, or 0 without a max-age. */
export function freshFor(headers: Record<string, string | string[] | undefined>): number {
  const control = headers['cache-control']
  const maxAge = /(?:^|[,\s])max-age=(\d+)/.exec(Array.isArray(control) ? control.join(',') : (control ?? ''))
  if (!maxAge) return 0
  const age = Number(headers.age ?? 0)
  return Math.max(0, Number(maxAge[1]) - (Number.isFinite(age) ? age : 0))
}

export function createPrices(
  http: HttpClient | undefined,
  origin: string,
  clock: Clock = systemClock,
): Prices {
  const stats: PricesStats = { calls: 0, stale: 0, unavailable: 0 }
  /** Last good answer per path: what a failing upstream is covered with. */
  const lastGood = new Map<string, unknown>()
  /** Fresh parsed answers per path, until `until` (clock.now() ms). */
  const fresh = new Map<string, { value: unknown; until: number }>()

  async function ask<T>(
    path: string,
    parse: (body: unknown) => T | undefined,
    trace: Record<string, string>,
  ): Promise<Quote<T>> {
    stats.calls++
    if (!http) {
      const res = await fetch(`${origin}${path}`, { headers: trace }).catch((e: unknown) => {
        stats.unavailable++
        throw unavailable(path, e)
      })
      const value = res.ok ? parse(await res.json().catch(() => undefined)) : undefined
      if (value === undefined) {
        stats.unavailable++
        throw unavailable(path)
      }
      return { value, stale: false }
    }
    const known = fresh.get(path)
    if (known !== undefined && clock.now() < known.until) return { value: known.value as T, stale: false }
    let failure: unknown
    try {
      const res = await http.request({ path, headers: trace })
      const value = res.statusCode === 200 ? parse(await res.json()) : undefined
      if (value !== undefined) {
        const stale = res.cache === 'stale'
        if (stale) stats.stale++
        else {
          lastGood.set(path, value)
          const seconds = freshFor(res.headers)
          if (seconds > 0) fresh.set(path, { value, until: clock.now() + seconds * 1000 })
        }
        return { value, stale }
      }
      failure = new Error(`status ${res.statusCode}`)
    } catch (error) {
      failure = error // circuit open, timeouts, resets, retries exhausted
    }
    if (lastGood.has(path)) {
      stats.stale++
      return { value: lastGood.get(path) as T, stale: true }
    }
    stats.unavailable++
    throw unavailable(path, failure)
  }

  return {
    rate: (currency, trace) => ask(`/rates/${currency}`, parseRate, trace),
    shipping: (country, trace) => ask(`/shipping/${country}`, parseShipping, trace),
    stats: () => ({ ...stats }),
  }
}
