// What the store admits, on top of what undici's cache interceptor already decided is storable (RFC 9111 3):
// credentials, Set-Cookie, non-2xx statuses, and the freshness a response without an explicit lifetime keeps.
import { hasExplicitFreshness, shareable } from './entries.ts'
import { parseCacheControl } from './observer.ts'
import type { CacheValue } from './undici-types.ts'

export interface AdmissionRules {
  /** Only 2xx responses are stored unless they carry explicit freshness. */
  onlySuccess: boolean
  /** Responses to requests with credentials are shared with `s-maxage`/`must-revalidate` too (not only `public`). */
  shareAuthenticated: boolean
  /** 404 and 410 count as successes for `onlySuccess`. */
  cacheNotFound: boolean
  /** Responses with Set-Cookie are stored (a private cache). */
  storeSetCookie: boolean
}

/**
 * The value to store (its freshness possibly shortened), `'rejected'` when a rule refuses it, `'expired'` when it
 * is past its `deleteAt` already. `unpartitioned`: the request carries credentials and no credential partition.
 */
export function admit(
  value: CacheValue,
  unpartitioned: boolean,
  rules: AdmissionRules,
  now: number,
): CacheValue | 'rejected' | 'expired' {
  if (unpartitioned && !shareable(value.cacheControlDirectives, rules.shareAuthenticated)) return 'rejected'
  if (value.headers['set-cookie'] !== undefined && !rules.storeSetCookie) return 'rejected'
  const status = value.statusCode
  if (
    rules.onlySuccess &&
    (status < 200 || status > 299) &&
    !(rules.cacheNotFound && (status === 404 || status === 410)) &&
    !hasExplicitFreshness(value)
  )
    return 'rejected'
  if (value.deleteAt <= now) return 'expired'
  if (hasExplicitFreshness(value)) return value
  // Freshness undici derived without an explicit lifetime (cacheByDefault, heuristics) yields to what the
  // response does say: CDN-Cache-Control (RFC 9213) and validators (revalidate on each use instead).
  const staleAt = implicitStaleAt(value)
  if (staleAt === null) return 'rejected'
  return staleAt !== undefined && staleAt < value.staleAt ? { ...value, staleAt } : value
}

/**
 * Stale time of a response without explicit Cache-Control/Expires freshness: CDN-Cache-Control's max-age /
 * s-maxage; `cachedAt` (revalidate every use) for a response with only a validator; `null` when
 * CDN-Cache-Control forbids storing; undefined when undici's own stale time stands.
 */
function implicitStaleAt(value: CacheValue): number | null | undefined {
  const cdn = value.headers['cdn-cache-control']
  if (cdn !== undefined) {
    const d = parseCacheControl(Array.isArray(cdn) ? cdn.join(',') : cdn) as Record<string, unknown>
    if (d['no-store'] === true || d.private !== undefined) return null
    const age = d['s-maxage'] ?? d['max-age']
    if (typeof age === 'number') return value.cachedAt + age * 1000
    if (d['no-cache'] !== undefined) return value.cachedAt
  }
  if (value.headers.etag !== undefined || value.headers['last-modified'] !== undefined) return value.cachedAt
  return undefined
}
