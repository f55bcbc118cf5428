// The client: prepare a request, dispatch it through the policy interceptors composed once at construction
// (src/interceptors/*.ts, outermost first: yours, invalidate, retry, conditional, cache, breaker, rate limit, slots,
// dns), and turn what the collector buffered into the response. A fresh L1 hit skips all of it.
import { AsyncResource } from 'node:async_hooks'
import { isHotpathError } from '@hotpath/core'
import { Agent } from 'undici'
import { type BatchOptions, type BatchResult, runBatch } from './batch.ts'
import {
  type BreakerState,
  type CacheOutcome,
  type RequestEvent,
  pathOnly,
  requestChannel,
  requestTracing,
} from './channels.ts'
import { type ClientDispatchOptions, Collector, kCollector, type Respond } from './collector.ts'
import { ClosedError, type HttpError, InvalidRequestError, toUpstreamError } from './errors.ts'
import { type BreakerInterceptor, breakerInterceptor } from './interceptors/breaker.ts'
import { cacheInterceptor } from './interceptors/cache.ts'
import { conditionalInterceptor } from './interceptors/conditional.ts'
import { dnsInterceptor } from './interceptors/dns.ts'
import type { Dispatch, Interceptor } from './interceptors/forward.ts'
import { invalidateInterceptor } from './interceptors/invalidate.ts'
import { type RateLimitInterceptor, rateLimitInterceptor } from './interceptors/rate-limit.ts'
import { retryInterceptor } from './interceptors/retry.ts'
import { type SlotsInterceptor, slotsInterceptor } from './interceptors/slots.ts'
import { cacheOutcome, coalesceKey, hasAny } from './keys.ts'
import { type HttpClientOptions, type ResolvedOptions, resolveOptions } from './options.ts'
import { Origins } from './origins.ts'
import { type Prepared, prepare, type RequestInput } from './prepare.ts'
import { RequestTrace } from './request-trace.ts'
import { HttpResponse, type ResponseHeaders } from './response.ts'
import { type HttpClientStats, poolStats } from './stats.ts'
import type { HotpathCacheStore } from './store.ts'

/** A fresh entry the fast path answers with. */
type CacheHit = { statusCode: number; headers: ResponseHeaders; cachedAt: number; body: Buffer }

const same = <T>(value: T): T => value

/** Request headers that keep a GET/HEAD off the fast path (plus the credential headers). */
const CONDITIONAL = ['cache-control', 'pragma', 'if-none-match', 'if-modified-since', 'range']

export class HttpClient {
  readonly name: string
  readonly #o: ResolvedOptions
  readonly #agent: Agent
  /** The agent's dispatch under every policy interceptor. */
  readonly #dispatch: Dispatch
  readonly #store: HotpathCacheStore | undefined
  readonly #ownsCache: boolean
  readonly #origins = new Origins()
  readonly #inflight = new Map<string, Promise<HttpResponse>>()
  readonly #closing = new AbortController()
  readonly #slots: SlotsInterceptor
  readonly #rateLimit: RateLimitInterceptor | undefined
  readonly #breaker: BreakerInterceptor | undefined
  readonly #clock: ResolvedOptions['clock']
  /** A fresh L1 hit may skip the interceptors (not when the user has some: they see every request). */
  readonly #fastPath: boolean
  /** CONDITIONAL + the credential headers: a GET carrying none of them may take the fast path. */
  readonly #slowHeaders: readonly string[]
  readonly #credentialHeaders: readonly string[]
  readonly #respond: Respond
  #closed: Promise<void> | undefined = undefined
  // counters
  #requests = 0
  #retries = 0
  #coalesced = 0
  #rateLimitWaits = 0
  readonly #errors: Record<string, number> = {}
  readonly #cacheOutcomes: Record<CacheOutcome, number> = {
    hit: 0,
    stale: 0,
    revalidated: 0,
    miss: 0,
    bypass: 0,
  }

  constructor(options?: HttpClientOptions) {
    const o = resolveOptions(options)
    this.#o = o
    this.name = o.name
    this.#clock = o.clock
    const client = o.name
    const clock = o.clock
    const closing = this.#closing.signal
    // every policy validates its own options in its factory; the cache (which may create a backend) comes last
    const retry = retryInterceptor({
      retry: options?.retry,
      client,
      clock,
      closing,
      onRetry: () => this.#retries++,
    })
    this.#breaker = breakerInterceptor({ breaker: options?.breaker, perOrigin: o.perOrigin, client, clock })
    this.#rateLimit = rateLimitInterceptor({
      rateLimit: options?.rateLimit,
      perOrigin: o.perOrigin,
      client,
      clock,
      closing,
      onWait: () => this.#rateLimitWaits++,
    })
    this.#slots = slotsInterceptor({
      maxInFlight: options?.maxInFlight,
      queueTimeout: options?.queueTimeout,
      closing,
    })
    const dns = dnsInterceptor(options?.dns)
    const cache = cacheInterceptor({
      cache: options?.cache,
      defaultTtl: options?.defaultTtl,
      shared: options?.shared,
      maxEntrySize: options?.maxEntrySize,
      credentialKey: options?.credentialKey,
      credentialHeaders: options?.credentialHeaders,
      cacheTags: options?.cacheTags,
      shareAuthenticated: options?.shareAuthenticated,
      cacheNotFound: options?.cacheNotFound,
      storeSetCookie: options?.storeSetCookie,
      name: client,
      clock,
    })
    const store = cache?.store
    let invalidate: Interceptor | undefined
    try {
      invalidate = invalidateInterceptor(options?.invalidate, store) as Interceptor | undefined
    } catch (error) {
      if (cache?.ownsCache === true) void store?.cache.close().catch(() => {})
      throw error
    }
    this.#store = store
    this.#ownsCache = cache?.ownsCache ?? false
    this.#credentialHeaders = store?.credentialHeaders ?? []
    this.#slowHeaders = [...CONDITIONAL, ...this.#credentialHeaders]
    this.#fastPath = o.interceptors.length === 0
    // outermost first; a policy that would do nothing is not in the list
    const chain = [
      ...o.interceptors,
      invalidate,
      retry,
      store === undefined ? undefined : conditionalInterceptor(store, clock),
      cache,
      this.#breaker,
      this.#rateLimit,
      this.#slots,
      dns,
    ].filter((i) => i !== undefined) as Interceptor[]
    this.#agent = new Agent({
      connections: o.connections,
      pipelining: o.pipelining,
      keepAliveTimeout: o.keepAliveTimeout,
      headersTimeout: o.headersTimeout,
      bodyTimeout: o.bodyTimeout,
      maxResponseSize: o.maxResponseSize,
      connect: { timeout: o.connectTimeout },
    })
    // undici composes innermost first: compose(a, b) = b(a(dispatch))
    this.#dispatch = this.#agent.compose(chain.reverse()).dispatch as Dispatch
    this.#respond = (collector) => this.#respondTo(collector)
  }

  /** The undici CacheStore the client uses (undefined when the cache is off). */
  get store(): HotpathCacheStore | undefined {
    return this.#store
  }

  /** The undici Agent (pool) under the client. */
  get agent(): Agent {
    return this.#agent
  }

  /** Sends a request; resolves once the whole body is read. Non-2xx statuses resolve too (check `statusCode`). */
  request(input: RequestInput): Promise<HttpResponse> {
    this.#requests++
    if (this.#closed !== undefined) return this.#reject(new ClosedError())
    let req: Prepared
    let origin: string
    try {
      req = prepare(input, this.#o.origin, this.#origins.last)
      origin = this.#origins.get(req.rawOrigin)
    } catch (error) {
      return this.#reject(
        isHotpathError(error)
          ? (error as HttpError)
          : new InvalidRequestError('HOTPATH_HTTP_INVALID_REQUEST', `invalid request: ${String(error)}`, {
              cause: error,
            }),
      )
    }
    // the tracing context exists only while someone subscribes (one getter otherwise)
    const traced = requestTracing.hasSubscribers ? new RequestTrace(this.name, req, origin) : undefined
    const store = this.#store
    if (
      this.#fastPath &&
      store !== undefined &&
      !req.noCache &&
      (req.method === 'GET' || req.method === 'HEAD') &&
      (req.headers === undefined || !hasAny(req.headers, this.#slowHeaders))
    ) {
      const t0 = requestChannel.hasSubscribers ? this.#clock.now() : 0
      const hit = store.peekFresh(origin, req.path, req.headers)
      if (hit !== undefined) {
        if (traced === undefined) return Promise.resolve(this.#fromCache(req, origin, hit, t0))
        traced.fromCache = true
        return requestTracing.tracePromise(this.#resolveFromCache, traced, this, req, origin, hit, t0)
      }
    }
    if (
      this.#o.coalesce &&
      !req.noCache &&
      (req.method === 'GET' || req.method === 'HEAD') &&
      req.signal === undefined
    ) {
      const key = coalesceKey(origin, req)
      const pending = this.#inflight.get(key)
      if (pending !== undefined) {
        this.#coalesced++
        if (traced === undefined) return pending
        traced.coalesced = true
        return requestTracing.tracePromise(same, traced, undefined, pending)
      }
      const promise = this.#traceRun(req, origin, traced)
      this.#inflight.set(key, promise)
      const done = (): void => {
        this.#inflight.delete(key)
      }
      promise.then(done, done)
      return promise
    }
    return this.#traceRun(req, origin, traced)
  }

  /** (No closures in request(): a captured variable there would cost a context allocation per call.) */
  #resolveFromCache(req: Prepared, origin: string, hit: CacheHit, t0: number): Promise<HttpResponse> {
    return Promise.resolve(this.#fromCache(req, origin, hit, t0))
  }

  #traceRun(req: Prepared, origin: string, traced: RequestTrace | undefined): Promise<HttpResponse> {
    if (traced === undefined) return this.#run(req, origin, undefined)
    return requestTracing.tracePromise(this.#run, traced, this, req, origin, traced)
  }

  #reject(error: HttpError): Promise<never> {
    this.#countError(error.code)
    return Promise.reject(error)
  }

  #countError(code: string): void {
    this.#errors[code] = (this.#errors[code] ?? 0) + 1
  }

  #fromCache(req: Prepared, origin: string, hit: CacheHit, t0: number): HttpResponse {
    this.#cacheOutcomes.hit++
    const headers: ResponseHeaders = {
      ...hit.headers,
      age: String(Math.max(0, Math.round((this.#clock.epoch() - hit.cachedAt) / 1000))),
    }
    const res = new HttpResponse(hit.statusCode, headers, 'hit', req.method === 'HEAD' ? undefined : hit.body)
    res.cachedIn(this.#store as HotpathCacheStore, origin, req.path)
    if (requestChannel.hasSubscribers) this.#publishRequest(req, origin, t0, 'hit', 0, hit.statusCode)
    return res
  }

  /**
   * Dispatches through the interceptors; the collector settles the returned promise (see #respondTo). A traced
   * call (run inside the tracing channel's start) gets the headers its subscribers added, and is answered in
   * its own async context: undici calls back from the socket's, which belongs to whichever call opened it.
   */
  #run(req: Prepared, origin: string, traced: RequestTrace | undefined): Promise<HttpResponse> {
    const collector = new Collector(
      req,
      origin,
      requestChannel.hasSubscribers ? this.#clock.now() : -1,
      traced === undefined ? this.#respond : AsyncResource.bind(this.#respond),
    )
    const opts: ClientDispatchOptions = {
      origin,
      path: req.path,
      method: req.method as ClientDispatchOptions['method'],
      headers: (traced === undefined ? req.headers : traced.headersOf(req)) as Record<string, string>,
      body: req.body,
      headersTimeout: req.headersTimeout,
      bodyTimeout: req.bodyTimeout,
      [kCollector]: collector,
    }
    try {
      this.#dispatch(opts, collector)
    } catch (error) {
      collector.onResponseError(null, error as Error)
    }
    return collector.promise
  }

  /** The response (or the coded error) of a settled request; counts and publishes it. */
  #respondTo(c: Collector): HttpResponse {
    const req = c.req
    if (c.error !== undefined) {
      const error = toUpstreamError(c.error, req.method, c.origin, c.headersReceived)
      this.#countError(error.code)
      if (c.start >= 0) this.#publishRequest(req, c.origin, c.start, 'bypass', c.retries, undefined, error)
      throw error
    }
    const headers = c.headers as ResponseHeaders
    const store = this.#store
    const outcome =
      store !== undefined && !req.noCache ? cacheOutcome(req, c, headers, this.#credentialHeaders) : 'bypass'
    this.#cacheOutcomes[outcome]++
    const res = new HttpResponse(c.statusCode, headers, outcome, c.body)
    if (outcome !== 'bypass') res.cachedIn(store as HotpathCacheStore, c.origin, req.path)
    res.retries = c.retries
    if (c.start >= 0) this.#publishRequest(req, c.origin, c.start, outcome, c.retries, c.statusCode)
    return res
  }

  /** One `hotpath:http:request` event (the caller has checked that someone subscribes). */
  #publishRequest(
    req: Prepared,
    origin: string,
    start: number,
    cache: CacheOutcome,
    retries: number,
    statusCode: number | undefined,
    error?: HttpError,
  ): void {
    const event: RequestEvent = {
      client: this.name,
      method: req.method,
      origin,
      path: pathOnly(req.path),
      ...(statusCode === undefined ? {} : { statusCode }),
      durationMs: this.#clock.now() - start,
      cache,
      ...(error === undefined ? {} : { error: { code: error.code, message: error.message } }),
      retries,
    }
    requestChannel.publish(event)
  }

  /** Runs requests under the concurrency (and rate) limits; settled results in input order. */
  batch(requests: RequestInput[], options?: BatchOptions): Promise<BatchResult[]> {
    if (this.#closed !== undefined) return Promise.reject(new ClosedError())
    return runBatch((input) => this.request(input), requests, options)
  }

  /** Drops cached responses under a path prefix (`'/orders'` or `'https://api.example.com/orders'`), any query. */
  async invalidate(pathOrPrefix: string): Promise<void> {
    if (this.#closed !== undefined) throw new ClosedError()
    if (this.#store === undefined) return
    const req = prepare(pathOrPrefix, this.#o.origin)
    await this.#store.invalidatePrefix(this.#origins.get(req.rawOrigin), req.path)
  }

  /** Drops cached responses carrying any of the tags (see the `cacheTags` option). */
  async invalidateTags(tags: string[]): Promise<void> {
    if (this.#closed !== undefined) throw new ClosedError()
    if (this.#store === undefined) return
    await this.#store.invalidateTags(tags)
  }

  stats(): HttpClientStats {
    const breakers: Record<string, BreakerState> = this.#breaker?.states() ?? {}
    return {
      kind: 'http',
      name: this.name,
      requests: this.#requests,
      errors: { ...this.#errors },
      retries: this.#retries,
      cache: { ...this.#cacheOutcomes },
      coalesced: this.#coalesced,
      rateLimitWaits: this.#rateLimitWaits,
      breakers,
      pool: poolStats(this.#agent),
    }
  }

  /** Stops new work (rejects it with HOTPATH_HTTP_CLOSED), lets in-flight requests finish (5 s), closes the pool. */
  close(): Promise<void> {
    if (this.#closed !== undefined) return this.#closed
    this.#closed = this.#doClose()
    return this.#closed
  }

  async #doClose(): Promise<void> {
    this.#closing.abort()
    const error = new ClosedError()
    this.#slots.close(error)
    this.#rateLimit?.close(error)
    const closed = this.#agent.close()
    const timer = setTimeout(() => {
      this.#agent.destroy(error).catch(() => {})
    }, 5_000)
    timer.unref()
    try {
      await closed
    } catch {
      // destroyed after the grace period
    } finally {
      clearTimeout(timer)
    }
    if (this.#ownsCache && this.#store !== undefined) await this.#store.cache.close().catch(() => {})
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}

/** Creates an HTTP client (see HttpClientOptions for defaults). */
export function createHttpClient(options?: HttpClientOptions): HttpClient {
  return new HttpClient(options)
}
