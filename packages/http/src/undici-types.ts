// undici's cache-store types, reached through undici's main entry point. `undici/types/cache-interceptor`
// declares a namespace as its default export of a CommonJS module: a default import of it means the module
// under `nodenext` but the namespace under `bundler`, so an emitted `.d.ts` that imported it broke one of the
// two (TS2694). `interceptors.cache` is typed the same under both.
import type { interceptors } from 'undici'

type CacheInterceptorOptions = NonNullable<Parameters<typeof interceptors.cache>[0]>

/** undici's `CacheStore` interface (what `interceptors.cache({ store })` accepts). */
export type CacheStore = NonNullable<CacheInterceptorOptions['store']>
/** The request a store is asked about. */
export type CacheKey = Parameters<CacheStore['get']>[0]
/** The response a store is asked to keep. */
export type CacheValue = Parameters<CacheStore['createWriteStream']>[1]
/** What a store answers for a hit. */
export type GetResult = NonNullable<Awaited<ReturnType<CacheStore['get']>>>
/** Parsed Cache-Control directives. */
export type CacheControlDirectives = NonNullable<CacheValue['cacheControlDirectives']>
