// The query cache: any object with @hotpath/cache's getOrSet / invalidateTags (a Cache), or options to
// create one lazily (the package's dependency, imported on first use).
import type { Clock } from '@hotpath/core'
import { check } from './pool-options.ts'

/** The part of @hotpath/cache's Cache the database uses. */
export interface QueryCacheLike {
  getOrSet<T>(
    key: string,
    factory: (ctx: { skip(): void }) => T | Promise<T>,
    options?: { ttl?: number; tags?: string[] },
  ): Promise<T>
  invalidateTags(tags: string[]): Promise<void>
  close(): Promise<void>
}

/** Options for the cache the database creates itself (passed to createCache of @hotpath/cache). */
export interface QueryCacheOptions {
  /** Default TTL of cached rows (ms). Default 60 000. */
  ttl?: number
  [option: string]: unknown
}

export type QueryCacheSetting = QueryCacheLike | QueryCacheOptions | false | undefined

export function isCacheLike(value: unknown): value is QueryCacheLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as QueryCacheLike).getOrSet === 'function' &&
    typeof (value as QueryCacheLike).invalidateTags === 'function'
  )
}

export class QueryCacheHolder {
  readonly enabled: boolean
  readonly owned: boolean
  readonly defaultTtl: number
  cache: QueryCacheLike | undefined
  private creating: Promise<QueryCacheLike> | undefined
  private readonly options: QueryCacheOptions
  /** The database's clock when one was given: the cache created here gets it too. */
  private readonly clock: Clock | undefined
  hits = 0
  misses = 0

  constructor(setting: QueryCacheSetting, clock?: Clock) {
    this.clock = clock
    if (setting === false) {
      this.enabled = false
      this.owned = false
      this.defaultTtl = 60_000
      this.options = {}
      return
    }
    if (setting !== undefined && (typeof setting !== 'object' || setting === null)) {
      check.fail('queryCache', setting, 'a @hotpath/cache Cache, cache options or false')
    }
    this.enabled = true
    if (isCacheLike(setting)) {
      this.cache = setting
      this.owned = false
      this.options = {}
      this.defaultTtl = 60_000
    } else {
      this.owned = true
      this.options = setting ?? {}
      this.defaultTtl = check.positive('queryCache.ttl', this.options.ttl, 60_000)
    }
  }

  get(): QueryCacheLike | Promise<QueryCacheLike> {
    if (this.cache !== undefined) return this.cache
    this.creating ??= import('@hotpath/cache').then((m) => {
      const create = (m as unknown as { createCache(o: unknown): QueryCacheLike }).createCache
      const clock = this.clock === undefined || 'clock' in this.options ? {} : { clock: this.clock }
      this.cache = create({ namespace: 'hotpath-db', ...clock, ...this.options, ttl: this.defaultTtl })
      return this.cache
    })
    return this.creating
  }

  async close(): Promise<void> {
    const cache = this.cache ?? (this.creating ? await this.creating.catch(() => undefined) : undefined)
    if (this.owned && cache !== undefined) await cache.close()
  }
}
