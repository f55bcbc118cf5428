// An undici CacheStore backed by @hotpath/cache: L1 in-process, optional shared L2 (Redis) kept coherent by
// the cache bus. Usable on its own with plain undici or global fetch:
//   interceptors.cache({ store: createUndiciCacheStore(cache) })
import { randomUUID } from 'node:crypto'
import type { Writable } from 'node:stream'
import { type Clock, optionChecks } from '@hotpath/core'
import { PARTITION_HEADER } from './collector.ts'
import { type AdmissionRules, admit } from './admission.ts'
import { entryWriter } from './entry-writer.ts'
import {
  collectionTag,
  credentialHeaderList,
  entryTags,
  hasCredentials,
  pick,
  refreshedBy304,
  type StoredResponse,
  sameVary,
  storageKey,
  toResult,
  urlTag,
  varyMatches,
} from './entries.ts'
import type { CacheControlDirectives, CacheKey, CacheStore, CacheValue, GetResult } from './undici-types.ts'

const check = optionChecks('HOTPATH_HTTP_INVALID_OPTION')
const STORE_OPTIONS: readonly string[] = [
  'maxEntrySize',
  'maxVariants',
  'credentialKey',
  'cacheTags',
  'onlySuccessByDefault',
  'credentialHeaders',
  'shareAuthenticated',
  'cacheNotFound',
  'storeSetCookie',
  'clock',
]

/** The part of the @hotpath/cache API the store needs (a `Cache` from `createCache()` fits). */
export interface ResponseCacheBackend {
  get<T = unknown>(key: string): Promise<T | undefined>
  set<T>(key: string, value: T, options?: { ttl?: number; grace?: number; tags?: string[] }): Promise<void>
  peek<T = unknown>(key: string): T | undefined
  delete(key: string): Promise<boolean>
  invalidateTags(tags: string[]): Promise<void>
  close(): Promise<void>
  /** A @hotpath/cache cache says which tiers it has: memory-only, a miss is answered without I/O. */
  readonly tiers?: { readonly l2: boolean }
}

/** What key functions see of a request. `headers` have lowercase names. */
export interface CacheKeyInfo {
  origin: string
  method: string
  path: string
  headers: Record<string, string | string[] | undefined> | undefined
}

export interface UndiciCacheStoreOptions {
  /** Largest body stored, in bytes; bigger responses are passed through uncached. Default 5 MiB. */
  maxEntrySize?: number
  /** Variants (Vary) kept per URL and method. Default 8. */
  maxVariants?: number
  /**
   * Requests with Authorization or Cookie are neither served from nor stored into the shared cache unless
   * the response is `public`. Return a string (e.g. a hash of the credential) to cache them in a private
   * partition of their own instead.
   */
  credentialKey?: (key: CacheKeyInfo) => string | undefined
  /**
   * Request headers that carry a credential and isolate like Authorization (never shared unless the response
   * is public; partitioned by `credentialKey`). Authorization and Cookie always count. Default
   * ['authorization', 'cookie', 'proxy-authorization', 'x-api-key'].
   */
  credentialHeaders?: string[]
  /** Extra tags stored with an entry (see `invalidateTags`). */
  cacheTags?: (key: CacheKeyInfo) => string[]
  /** Only responses with 2xx status are stored unless they carry explicit freshness. Default true. */
  onlySuccessByDefault?: boolean
  /**
   * Responses to requests with credentials are shared (stored in and served from the shared partition) when they
   * carry `public`, `s-maxage` or `must-revalidate` (RFC 9111 3.5). Default false: only `public` ones.
   */
  shareAuthenticated?: boolean
  /** With `onlySuccessByDefault`, also store 404 and 410 responses without explicit freshness. Default false. */
  cacheNotFound?: boolean
  /** Store responses that carry Set-Cookie. Only for a private cache (one user). Default false. */
  storeSetCookie?: boolean
  /**
   * Wall-clock source (`epoch()`) the store compares entry lifetimes with. undici's cache interceptor stamps
   * `cachedAt` / `staleAt` / `deleteAt` with `Date.now()`, so give a clock that agrees with it (fake timers do).
   * Default `systemClock`.
   */
  clock?: Clock
}

export interface StoreStats {
  writes: number
  tooLarge: number
  rejected: number
  deletes: number
  errors: number
  /** Store operations in progress: responses being written, 304 refreshes, deletes not yet applied. */
  pendingWrites: number
}

/** An undici `CacheStore` on top of a @hotpath/cache instance. */
export class HotpathCacheStore implements CacheStore {
  readonly cache: ResponseCacheBackend
  readonly #maxEntrySize: number
  readonly #maxVariants: number
  readonly #credentialKey: ((key: CacheKeyInfo) => string | undefined) | undefined
  readonly #tags: ((key: CacheKeyInfo) => string[]) | undefined
  /** What responses are stored (see admission.ts). */
  readonly #rules: AdmissionRules
  readonly #shareAuthenticated: boolean
  readonly #clock: Clock
  /** Lowercase names of the request headers that carry credentials. */
  readonly credentialHeaders: readonly string[]
  /** Prefix of the partition header value only the client holding this store can write (see partitionToken). */
  readonly #secret: string = `${randomUUID()}:`
  /** The backend has no L2: an L1 miss is a miss, answered synchronously. */
  readonly #memoryOnly: boolean
  /** Storage keys whose write stream was ended and whose entry is not in L1 yet: a get() waits for them. */
  readonly #ending = new Map<string, Promise<void>>()
  #pendingTags: Set<string> | undefined = undefined
  readonly #stats: StoreStats = {
    writes: 0,
    tooLarge: 0,
    rejected: 0,
    deletes: 0,
    errors: 0,
    pendingWrites: 0,
  }

  constructor(cache: ResponseCacheBackend, options?: UndiciCacheStoreOptions) {
    if (
      typeof cache !== 'object' ||
      cache === null ||
      typeof cache.peek !== 'function' ||
      typeof cache.invalidateTags !== 'function'
    ) {
      check.fail('cache', cache, 'a @hotpath/cache instance (createCache())')
    }
    const o = (check.object('options', options) ?? {}) as UndiciCacheStoreOptions
    for (const key of Object.keys(o)) {
      if (!STORE_OPTIONS.includes(key)) {
        const hint =
          key === 'tags'
            ? 'no such option (renamed to "cacheTags")'
            : `no such option (known: ${STORE_OPTIONS.join(', ')})`
        check.fail(key, (o as Record<string, unknown>)[key], hint)
      }
    }
    this.cache = cache
    this.#memoryOnly = cache.tiers?.l2 === false
    this.#maxEntrySize = check.integer('maxEntrySize', o.maxEntrySize, 5 * 1024 * 1024, 0)
    this.#maxVariants = check.integer('maxVariants', o.maxVariants, 8, 1)
    this.#credentialKey = check.func('credentialKey', o.credentialKey)
    this.#tags = check.func('cacheTags', o.cacheTags)
    this.#shareAuthenticated = check.boolean('shareAuthenticated', o.shareAuthenticated, false)
    this.#rules = {
      onlySuccess: check.boolean('onlySuccessByDefault', o.onlySuccessByDefault, true),
      shareAuthenticated: this.#shareAuthenticated,
      cacheNotFound: check.boolean('cacheNotFound', o.cacheNotFound, false),
      storeSetCookie: check.boolean('storeSetCookie', o.storeSetCookie, false),
    }
    this.#clock = check.clock('clock', o.clock)
    const names = credentialHeaderList(o.credentialHeaders)
    if (names === undefined)
      check.fail('credentialHeaders', o.credentialHeaders, 'an array of header names (e.g. ["x-api-key"])')
    this.credentialHeaders = names as string[]
  }

  stats(): StoreStats {
    return { ...this.#stats }
  }

  /** Partition for a request: '' (shared), a credential partition, or undefined (credentials without one). */
  #partition(key: CacheKey): string | undefined {
    const headers = key.headers
    if (this.#credentialKey !== undefined) {
      // set by the client when it moved Authorization out of undici's sight (see client.ts); a value without
      // this store's secret came from a caller and names nothing
      const given = headers?.[PARTITION_HEADER]
      if (typeof given === 'string' && given.length > this.#secret.length && given.startsWith(this.#secret))
        return `k:${given.slice(this.#secret.length)}`
    }
    if (!hasCredentials(headers, this.credentialHeaders)) return ''
    const part = this.#credentialKey?.(key as CacheKeyInfo)
    return part === undefined || part === '' ? undefined : `k:${part}`
  }

  /**
   * @internal The partition header value the client sets for a credential partition `part` (a per-store secret
   * prefix: a client-supplied header can never name a partition).
   */
  partitionToken(part: string): string {
    return this.#secret + part
  }

  get(key: CacheKey): GetResult | Promise<GetResult | undefined> | undefined {
    const part = this.#partition(key)
    const k = storageKey(key.origin, key.method, key.path, part ?? '')
    const publicOnly = part === undefined
    if (this.#ending.size !== 0) {
      // a write of this key has ended (undici's next request may come before it lands): read after it
      const ending = this.#ending.get(k)
      if (ending !== undefined) return ending.then(() => this.get(key))
    }
    let list: StoredResponse[] | undefined
    let pending: Promise<StoredResponse[] | undefined>
    try {
      list = this.cache.peek<StoredResponse[]>(k)
      if (list !== undefined)
        return toResult(pick(list, key.headers, publicOnly, this.#shareAuthenticated, this.#clock.epoch()))
      if (this.#memoryOnly) return undefined
      pending = this.cache.get<StoredResponse[]>(k)
    } catch {
      // a closed or failing cache is a miss: the request still reaches the origin
      this.#stats.errors++
      return undefined
    }
    return pending.then(
      (found) =>
        found === undefined
          ? undefined
          : toResult(pick(found, key.headers, publicOnly, this.#shareAuthenticated, this.#clock.epoch())),
      () => {
        this.#stats.errors++
        return undefined
      },
    )
  }

  /** Fast path for the client: a fresh, shared-partition GET entry in L1 that needs no revalidation. */
  peekFresh(
    origin: string,
    path: string,
    headers: Record<string, string | string[] | undefined> | undefined,
  ): StoredResponse | undefined {
    let list: StoredResponse[] | undefined
    try {
      list = this.cache.peek<StoredResponse[]>(storageKey(origin, 'GET', path, ''))
    } catch {
      return undefined
    }
    if (list === undefined) return undefined
    const now = this.#clock.epoch()
    for (let i = 0; i < list.length; i++) {
      const v = list[i] as StoredResponse
      if (v.deleteAt > now && varyMatches(v.vary, headers)) {
        if (v.staleAt <= now || v.staleAt <= v.cachedAt || v.cacheControlDirectives['no-cache'] === true)
          return undefined
        return v
      }
    }
    return undefined
  }

  createWriteStream(key: CacheKey, value: CacheValue): Writable | undefined {
    const part = this.#partition(key)
    const admitted = admit(value, part === undefined, this.#rules, this.#clock.epoch())
    if (admitted === 'rejected') this.#stats.rejected++
    if (typeof admitted === 'string') return undefined
    value = admitted
    const stored = value
    const stats = this.#stats
    stats.pendingWrites++
    return entryWriter({
      key: storageKey(key.origin, key.method, key.path, part ?? ''),
      maxSize: this.#maxEntrySize,
      ending: this.#ending,
      commit: (body, shown) => this.#commit(key, part ?? '', stored, body, shown),
      onTooLarge: () => stats.tooLarge++,
      onError: () => stats.errors++,
      onSettled: () => stats.pendingWrites--,
    })
  }

  /** Stores one response; `shown()` is called as soon as L1 holds it (before any L2 round trip). */
  async #commit(
    key: CacheKey,
    part: string,
    value: CacheValue,
    body: Buffer,
    shown: () => void,
  ): Promise<void> {
    const now = this.#clock.epoch()
    if (value.deleteAt <= now) return
    const k = storageKey(key.origin, key.method, key.path, part)
    const variant: StoredResponse = {
      statusCode: value.statusCode,
      statusMessage: value.statusMessage,
      headers: value.headers,
      vary: value.vary ?? undefined,
      etag: value.etag,
      cacheControlDirectives: value.cacheControlDirectives ?? {},
      cachedAt: value.cachedAt,
      staleAt: value.staleAt,
      deleteAt: value.deleteAt,
      body,
    }
    // A response without Vary answers every request for the URL: it replaces the whole list, no read needed.
    // With Vary, keep the other live variants: from L1 at once; else from L2, but the new variant is written
    // first (L1 synchronously) so the next request hits it while the L2 read is in flight.
    const local = variant.vary === undefined ? undefined : this.cache.peek<StoredResponse[]>(k)
    // the L2 read's answer backfills L1 with the older list: merge into L1 again in the same microtask run
    const merged =
      variant.vary === undefined || local !== undefined
        ? undefined
        : this.cache
            .get<StoredResponse[]>(k)
            .then(
              (current) => this.#mergeRemote(k, key, variant, current, now),
              () => undefined,
            )
            // never rejects: when the first write fails (a closed cache) this one must not reject unobserved
            .catch(() => {
              this.#stats.errors++
            })
    const first = this.#write(k, key, this.#merge(variant, local, now), now)
    shown()
    await first
    await merged
    this.#stats.writes++
  }

  /** Adds the live variants read from L2 to the L1 list (which may have changed meanwhile) and writes it. */
  #mergeRemote(
    k: string,
    key: CacheKey,
    variant: StoredResponse,
    current: StoredResponse[] | undefined,
    now: number,
  ): Promise<void> | undefined {
    if (current === undefined || !current.some((v) => v.deleteAt > now && !sameVary(v.vary, variant.vary)))
      return undefined
    const list = this.#merge(variant, this.cache.peek<StoredResponse[]>(k), now)
    for (const v of current) {
      if (list.length >= this.#maxVariants) break
      if (v.deleteAt > now && !list.some((w) => sameVary(w.vary, v.vary))) list.push(v)
    }
    return this.#write(k, key, list, now)
  }

  #merge(variant: StoredResponse, current: StoredResponse[] | undefined, now: number): StoredResponse[] {
    const list: StoredResponse[] = [variant]
    if (current !== undefined) {
      for (const v of current) {
        if (list.length >= this.#maxVariants) break
        if (v.deleteAt > now && !sameVary(v.vary, variant.vary)) list.push(v)
      }
    }
    return list
  }

  async #write(k: string, key: CacheKey, list: StoredResponse[], now: number): Promise<void> {
    let deleteAt = 0
    for (const v of list) if (v.deleteAt > deleteAt) deleteAt = v.deleteAt
    const ttl = Math.ceil(deleteAt - now)
    if (ttl <= 0) return
    const tags = entryTags(key.origin, key.path)
    if (this.#tags !== undefined) for (const t of this.#tags(key as CacheKeyInfo)) tags.push(t)
    await this.cache.set(k, list, { ttl, grace: 0, tags })
  }

  /**
   * Applies a 304 Not Modified to the stored variant that matches the request: new freshness (from the 304's
   * Cache-Control or the entry's previous lifetime) and updated validators/headers.
   */
  refresh(
    key: CacheKey,
    headers304: Record<string, string | string[] | undefined>,
    directives: CacheControlDirectives | undefined,
  ): Promise<void> {
    this.#stats.pendingWrites++
    return this.#refresh(key, headers304, directives).finally(() => {
      this.#stats.pendingWrites--
    })
  }

  async #refresh(
    key: CacheKey,
    headers304: Record<string, string | string[] | undefined>,
    directives: CacheControlDirectives | undefined,
  ): Promise<void> {
    const part = this.#partition(key)
    if (part === undefined) return
    const k = storageKey(key.origin, key.method, key.path, part)
    const list =
      this.cache.peek<StoredResponse[]>(k) ??
      (await this.cache.get<StoredResponse[]>(k).catch(() => undefined))
    if (list === undefined) return
    const now = this.#clock.epoch()
    const index = list.findIndex((v) => v.deleteAt > now && varyMatches(v.vary, key.headers))
    const old = list[index]
    if (old === undefined) return
    const refreshed = refreshedBy304(old, headers304, directives, now)
    const next = list.slice()
    next[index] = refreshed
    await this.#write(k, key, next, now)
  }

  delete(key: CacheKey): void | Promise<void> {
    this.#stats.deletes++
    // undici deletes once per safe method; one tag covers them all, so batch within the tick.
    const tag = urlTag(key.origin, key.path)
    if (this.#pendingTags === undefined) {
      this.#pendingTags = new Set([tag])
      this.#stats.pendingWrites++
      queueMicrotask(() => {
        const tags = this.#pendingTags as Set<string>
        this.#pendingTags = undefined
        // a cache that throws synchronously (closed) must not throw inside this microtask
        new Promise<void>((resolve) => resolve(this.cache.invalidateTags([...tags])))
          .catch(() => {
            this.#stats.errors++
          })
          .finally(() => {
            this.#stats.pendingWrites--
          })
      })
    } else {
      this.#pendingTags.add(tag)
    }
  }

  /** Drops every entry of `origin` whose path starts with `pathname`'s segments (any query, any method). */
  invalidatePrefix(origin: string, pathname: string): Promise<void> {
    return this.invalidateTags([collectionTag(origin, pathname)])
  }

  /** Drops every entry carrying any of the tags (the URL tags, collection tags and the `cacheTags` ones). */
  invalidateTags(tags: string[]): Promise<void> {
    try {
      return this.cache.invalidateTags(tags)
    } catch (error) {
      // the cache's own coded error, as a rejection (callers chain .catch on it)
      return Promise.reject(error)
    }
  }
}

/**
 * Creates an undici `CacheStore` backed by a @hotpath/cache instance. Plug it into plain undici:
 * `new Agent().compose(interceptors.cache({ store: createUndiciCacheStore(cache) }))`.
 */
export function createUndiciCacheStore(
  cache: ResponseCacheBackend,
  options?: UndiciCacheStoreOptions,
): HotpathCacheStore {
  return new HotpathCacheStore(cache, options)
}

export { collectionTag, hasCredentials, type StoredResponse, urlTag }
