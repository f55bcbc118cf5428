// Public API of @hotpath/http.
export type { BatchOptions, BatchResult } from './batch.ts'
export type { BreakerOptions } from './breaker.ts'
export {
  createHttpClient,
  HttpClient,
} from './client.ts'
export { collectionOf } from './keys.ts'
export type {
  BreakerEvent,
  BreakerState,
  CacheOutcome,
  RateLimitEvent,
  RequestEvent,
  RetryEvent,
} from './diagnostics.ts'
export {
  CircuitOpenError,
  ClosedError,
  HotpathError,
  type HotpathErrorOptions,
  HttpError,
  type HttpErrorCode,
  InvalidJsonError,
  InvalidOptionError,
  InvalidRequestError,
  isHotpathError,
  RateLimitError,
  UpstreamError,
} from './errors.ts'
export type { HttpClientOptions, RetryOptions } from './options.ts'
export type { RequestInput, RequestOptions } from './prepare.ts'
export type { HttpClientStats, PoolStatsSnapshot } from './stats.ts'
export type { RateLimitOptions } from './rate-limiter.ts'
export { HttpResponse, type ResponseHeaders } from './response.ts'
export {
  type CacheKeyInfo,
  collectionTag,
  createUndiciCacheStore,
  HotpathCacheStore,
  type ResponseCacheBackend,
  type StoredResponse,
  type StoreStats,
  type UndiciCacheStoreOptions,
  urlTag,
} from './store.ts'
