// Public API of @hotpath/http.
export {
  type Clock,
  HotpathError,
  type HotpathErrorOptions,
  InvalidOptionError,
  isHotpathError,
} from '@hotpath/core'
export type { BatchOptions, BatchResult } from './batch.ts'
export type { BreakerOptions } from './breaker.ts'
export type {
  BreakerEvent,
  BreakerState,
  CacheOutcome,
  HttpChannelPayloads,
  HttpRequestTraceContext,
  HttpTracingChannels,
  RateLimitEvent,
  RequestEvent,
  RetryEvent,
} from './channels.ts'
export {
  createHttpClient,
  HttpClient,
} from './client.ts'
export { errorCodes } from './error-codes.ts'
export {
  CircuitOpenError,
  ClosedError,
  HttpError,
  type HttpErrorCode,
  InvalidJsonError,
  InvalidRequestError,
  RateLimitError,
  UpstreamError,
} from './errors.ts'
export { collectionOf } from './keys.ts'
export type { HttpClientOptions, RetryOptions } from './options.ts'
export type { RequestInput, RequestOptions } from './prepare.ts'
export type { RateLimitOptions } from './rate-limiter.ts'
export { HttpResponse, type ResponseHeaders } from './response.ts'
export type { HttpClientStats, PoolStatsSnapshot } from './stats.ts'
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
