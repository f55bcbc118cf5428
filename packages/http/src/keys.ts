// Small per-request helpers: coalescing key, cache outcome, write collections.
import type { Collector } from './collector.ts'
import { type CacheOutcome, pathOnly } from './channels.ts'
import type { Prepared } from './prepare.ts'
import type { ResponseHeaders } from './response.ts'
import { hasCredentials } from './store.ts'

export function hasAny(headers: Record<string, unknown>, names: readonly string[]): boolean {
  for (const name of names) if (headers[name] !== undefined) return true
  return false
}

/** Identical requests share one key: method, URL and every header (credentials included). */
export function coalesceKey(origin: string, req: Prepared): string {
  let key = `${req.method} ${origin}${req.path}`
  const headers = req.headers
  if (headers !== undefined) {
    const names = Object.keys(headers).sort()
    for (const name of names) {
      const v = headers[name]
      if (v !== undefined) key += `\n${name}:${Array.isArray(v) ? v.join(',') : v}`
    }
  }
  return key
}

/**
 * hit / stale / revalidated / miss from what the observer saw: a response whose headers object is not the one the
 * origin sent came from the cache.
 */
export function cacheOutcome(
  req: Prepared,
  collector: Collector,
  headers: ResponseHeaders,
  credentialHeaders: readonly string[],
): CacheOutcome {
  if (headers !== collector.originHeaders) {
    if (collector.originStatus === 304) return 'revalidated'
    if (collector.originStatus !== 0 || headers.warning !== undefined) return 'stale'
    return 'hit'
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return 'bypass'
  // the headers the cache saw (an interceptor of the user's may have added a credential)
  const sent = collector.request?.headers ?? req.headers
  return hasCredentials(sent, credentialHeaders) ? 'bypass' : 'miss'
}

/** The collection a write touches: POST /orders -> /orders; PUT|PATCH|DELETE /orders/42 -> /orders. */
export function collectionOf(method: string, path: string): string {
  const pathname = pathOnly(path).replace(/\/+$/, '')
  if (method === 'POST') return pathname || '/'
  const slash = pathname.lastIndexOf('/')
  return slash > 0 ? pathname.slice(0, slash) : pathname || '/'
}
