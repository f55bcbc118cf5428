// Cache policy: undici's cache interceptor over a HotpathCacheStore, with the observer right inside it (what the
// origin said, 304 refreshes) and credential partitions applied on the way in. Outermost of the origin-facing
// policies: a fresh or usable-stale entry is served whatever the breaker, rate limit or slots would say.
import { createCache } from '@hotpath/cache'
import { type Clock, optionChecks } from '@hotpath/core'
import { interceptors } from 'undici'
import { type ClientDispatchOptions, kAuthorization, kCollector, PARTITION_HEADER } from '../collector.ts'
import { observerInterceptor } from '../observer.ts'
import {
  type CacheKeyInfo,
  HotpathCacheStore,
  type ResponseCacheBackend,
  type UndiciCacheStoreOptions,
} from '../store.ts'
import type { Dispatch } from './forward.ts'

const check = optionChecks('HOTPATH_HTTP_INVALID_OPTION')

export interface CacheInterceptorOptions
  extends Pick<
    UndiciCacheStoreOptions,
    | 'maxEntrySize'
    | 'credentialKey'
    | 'credentialHeaders'
    | 'cacheTags'
    | 'shareAuthenticated'
    | 'cacheNotFound'
    | 'storeSetCookie'
  > {
  /** A @hotpath/cache instance, or false (no cache). Default: an in-memory one the client owns. */
  cache?: ResponseCacheBackend | false
  /** Freshness of a GET 2xx without explicit freshness, ms (0: none). Default 300_000. */
  defaultTtl?: number
  /** Shared-cache semantics. Default true. */
  shared?: boolean
  /** Client name (namespace of the cache the client creates). */
  name: string
  clock: Clock
}

export interface CacheInterceptor {
  (dispatch: Dispatch): Dispatch
  readonly store: HotpathCacheStore
  /** The interceptor created the @hotpath/cache instance (the client closes it). */
  readonly ownsCache: boolean
}

/** The cache policy, or undefined with `cache: false`. Validates its options once, here (and in the store). */
export function cacheInterceptor(o: CacheInterceptorOptions): CacheInterceptor | undefined {
  const defaultTtl = check.integer('defaultTtl', o.defaultTtl, 300_000, 0)
  const shared = check.boolean('shared', o.shared, true)
  if (check.boolean('storeSetCookie', o.storeSetCookie, false) && shared)
    check.fail('storeSetCookie', o.storeSetCookie, 'true only with shared: false (a private cache)')
  const given = o.cache
  if (given !== undefined && given !== false) {
    const c = given as unknown as Record<string, unknown>
    if (
      typeof c !== 'object' ||
      c === null ||
      typeof c.get !== 'function' ||
      typeof c.set !== 'function' ||
      typeof c.invalidateTags !== 'function'
    ) {
      check.fail('cache', given, 'a @hotpath/cache instance (createCache()) or false')
    }
  }
  if (given === false) {
    // still validated, so a typo fails the same with the cache on or off
    new HotpathCacheStore(NO_BACKEND, storeOptions(o))
    return undefined
  }
  const backend: ResponseCacheBackend =
    given ?? (createCache({ namespace: `hotpath-http-${o.name}`, clock: o.clock }) as ResponseCacheBackend)
  const store = new HotpathCacheStore(backend, storeOptions(o))
  const undiciCache = interceptors.cache({
    store,
    methods: ['GET', 'HEAD'],
    type: shared ? 'shared' : 'private',
    cacheByDefault: defaultTtl > 0 ? defaultTtl : undefined,
  })
  const observer = observerInterceptor(store)
  const credentialKey = o.credentialKey
  const interceptor = (dispatch: Dispatch): Dispatch => {
    const cached = undiciCache(observer(dispatch))
    return function cache(opts: ClientDispatchOptions, handler) {
      const collector = opts[kCollector]
      if (collector !== undefined) {
        if (collector.req.noCache) return dispatch(opts, handler)
        collector.request = {
          origin: collector.origin,
          method: opts.method,
          path: opts.path,
          headers: opts.headers as Record<string, string | string[] | undefined> | undefined,
        }
      }
      // credentialKey is the caller's function: a throw fails the request like any dispatch error
      if (credentialKey !== undefined && opts.headers != null)
        opts = partitionCredentials(opts, credentialKey, store)
      return cached(opts, handler)
    }
  }
  return Object.assign(interceptor, { store, ownsCache: given === undefined })
}

function storeOptions(o: CacheInterceptorOptions): UndiciCacheStoreOptions {
  const out: UndiciCacheStoreOptions = { clock: o.clock }
  for (const key of [
    'maxEntrySize',
    'credentialKey',
    'credentialHeaders',
    'cacheTags',
    'shareAuthenticated',
    'cacheNotFound',
    'storeSetCookie',
  ] as const) {
    if (o[key] !== undefined) (out as Record<string, unknown>)[key] = o[key]
  }
  return out
}

/** Enough of a backend for the store's option checks when the cache is off. */
const NO_BACKEND = {
  get: () => Promise.resolve(undefined),
  set: () => Promise.resolve(),
  peek: () => undefined,
  delete: () => Promise.resolve(false),
  invalidateTags: () => Promise.resolve(),
  close: () => Promise.resolve(),
} as ResponseCacheBackend

type Headers = Record<string, string | string[] | undefined>

/**
 * undici's cache never stores a response to a request with Authorization unless it is public. With a
 * credentialKey the user opted into per-credential partitions, so the header is held back while the request
 * passes the cache (the partition header stands in for it) and restored by the observer before sending.
 */
function partitionCredentials(
  opts: ClientDispatchOptions,
  credentialKey: (key: CacheKeyInfo) => string | undefined,
  store: HotpathCacheStore,
): ClientDispatchOptions {
  if (typeof opts.headers !== 'object' || Array.isArray(opts.headers)) return opts
  let headers = opts.headers as Headers
  if (headers[PARTITION_HEADER] !== undefined) {
    // only the client may name a partition: a caller-supplied header could read someone else's entries
    headers = { ...headers }
    delete headers[PARTITION_HEADER]
    opts = { ...opts, headers: headers as Record<string, string> }
  }
  if (headers.authorization === undefined) return opts
  const origin = typeof opts.origin === 'string' ? opts.origin : String(opts.origin)
  const part = credentialKey({ origin, method: opts.method, path: opts.path, headers })
  if (part === undefined || part === '') return opts
  const shown: Headers = { ...headers, [PARTITION_HEADER]: store.partitionToken(part) }
  delete shown.authorization
  return { ...opts, headers: shown as Record<string, string>, [kAuthorization]: headers.authorization }
}
