// The HTTP client: one undici Agent + interceptors (cache with our store, dns), and what undici lacks around it:
// coalescing, retries with jitter, per-origin rate limits and breakers, coded errors, stats and diagnostics.
import { isIP } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { createCache } from '@hotpath/cache'
import { Agent, type Dispatcher, interceptors } from 'undici'
import { type BatchOptions, type BatchResult, runBatch } from './batch.ts'
import { CircuitBreaker } from './breaker.ts'
import { Collector, kAuthorization, kCollector, kFromCache, PARTITION_HEADER } from './collector.ts'
import {
  type BreakerState,
  breakerChannel,
  type CacheOutcome,
  pathOnly,
  rateLimitChannel,
  requestChannel,
  retryChannel,
} from './diagnostics.ts'
import {
  ClosedError,
  type HttpError,
  HttpError as HttpErrorClass,
  InvalidRequestError,
  isHotpathError,
  toUpstreamError,
} from './errors.ts'
import { observerInterceptor } from './observer.ts'
import { type HttpClientOptions, type ResolvedOptions, resolveOptions } from './options.ts'
import { type Prepared, prepare, type RequestInput } from './prepare.ts'
import { TokenBucket } from './rate-limiter.ts'
import { HttpResponse, type ResponseHeaders } from './response.ts'
import { backoffDelay, isRetryableError, isRetryableMethod, parseRetryAfter } from './retry.ts'
import { HotpathCacheStore, hasCredentials, type ResponseCacheBackend } from './store.ts'

interface OriginState {
  origin: string
  /** Dispatcher without the cache interceptor. */
  direct: Dispatcher
  /** Dispatcher with the cache interceptor (same as direct when the cache is off). */
  cached: Dispatcher
  breaker: CircuitBreaker | undefined
  limiter: TokenBucket | undefined
}

interface SlotWaiter {
  resolve: () => void
  reject: (error: Error) => void
  timer: NodeJS.Timeout
}

export interface PoolStatsSnapshot {
  connected: number
  free: number
  pending: number
  running: number
  size: number
}

export interface HttpClientStats {
  kind: 'http'
  name: string
  requests: number
  errors: Record<string, number>
  retries: number
  cache: Record<CacheOutcome, number>
  coalesced: number
  rateLimitWaits: number
  breakers: Record<string, BreakerState>
  pool: PoolStatsSnapshot
}

const WRITE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
const CONDITIONAL = [
  'cache-control',
  'pragma',
  'if-none-match',
  'if-modified-since',
  'authorization',
  'cookie',
  'range',
]

type DispatchOpts = Dispatcher.DispatchOptions & {
  [kCollector]?: Collector
  [kAuthorization]?: string | string[]
}
type ObservedCollector = Collector & {
  request?: { origin: string; method: string; path: string; headers: Prepared['headers'] }
}

export class HttpClient {
  readonly name: string
  readonly #o: ResolvedOptions
  readonly #agent: Agent
  readonly #store: HotpathCacheStore | undefined
  readonly #ownsCache: boolean
  readonly #plain: Dispatcher
  readonly #plainDns: Dispatcher
  readonly #cached: Dispatcher
  readonly #cachedDns: Dispatcher
  readonly #origins = new Map<string, OriginState>()
  readonly #credentialKey: HttpClientOptions['credentialKey']
  readonly #inflight = new Map<string, Promise<HttpResponse>>()
  readonly #retryStatuses: ReadonlySet<number>
  readonly #closing = new AbortController()
  #active = 0
  readonly #slotQueue: SlotWaiter[] = []
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
    this.#credentialKey = options?.credentialKey
    this.#retryStatuses = new Set(o.retry === false ? [] : o.retry.statusCodes)
    this.#agent = new Agent({
      connections: o.connections,
      pipelining: o.pipelining,
      keepAliveTimeout: o.keepAliveTimeout,
      headersTimeout: o.headersTimeout,
      bodyTimeout: o.bodyTimeout,
      maxResponseSize: o.maxResponseSize,
      connect: { timeout: o.connectTimeout },
    })
    const dns = o.dns === false ? undefined : interceptors.dns({ maxTTL: o.dns.maxTTL })
    this.#plain = this.#agent
    this.#plainDns = dns === undefined ? this.#agent : this.#agent.compose(dns)
    const cacheOption = options?.cache
    if (cacheOption === false) {
      this.#store = undefined
      this.#ownsCache = false
      this.#cached = this.#plain
      this.#cachedDns = this.#plainDns
    } else {
      const backend: ResponseCacheBackend =
        cacheOption ?? (createCache({ namespace: `hotpath-http-${o.name}` }) as ResponseCacheBackend)
      this.#ownsCache = cacheOption === undefined
      this.#store = new HotpathCacheStore(backend, {
        maxEntrySize: o.maxEntrySize,
        credentialKey: options?.credentialKey,
        tags: options?.cacheTags,
      })
      const cache = interceptors.cache({
        store: this.#store,
        methods: ['GET', 'HEAD'],
        type: o.shared ? 'shared' : 'private',
        cacheByDefault: o.defaultTtl > 0 ? o.defaultTtl : undefined,
      })
      const observer = observerInterceptor(this.#store)
      this.#cached = this.#agent.compose(observer, cache)
      this.#cachedDns = dns === undefined ? this.#cached : this.#agent.compose(observer, dns, cache)
    }
  }

  /** The undici CacheStore the client uses (undefined when the cache is off). */
  get store(): HotpathCacheStore | undefined {
    return this.#store
  }

  /** The undici Agent (pool) under the client. */
  get agent(): Agent {
    return this.#agent
  }

  #originState(rawOrigin: string): OriginState {
    let state = this.#origins.get(rawOrigin)
    if (state !== undefined) return state
    let url: URL
    try {
      url = new URL(rawOrigin)
    } catch (error) {
      throw new InvalidRequestError(
        'HOTPATH_HTTP_INVALID_URL',
        `invalid URL origin ${JSON.stringify(rawOrigin)}`,
        { cause: error },
      )
    }
    const origin = url.origin
    const canonical = origin === rawOrigin ? undefined : this.#origins.get(origin)
    if (canonical !== undefined) {
      this.#origins.set(rawOrigin, canonical)
      return canonical
    }
    const ip = isIP(url.hostname.replace(/^\[|\]$/g, '')) !== 0
    const o = this.#o
    state = {
      origin,
      direct: ip ? this.#plain : this.#plainDns,
      cached: ip ? this.#cached : this.#cachedDns,
      breaker: o.breaker === false ? undefined : new CircuitBreaker(origin, o.breaker, this.#onBreaker),
      limiter: o.rateLimit === false ? undefined : new TokenBucket(origin, o.rateLimit),
    }
    this.#origins.set(origin, state)
    if (rawOrigin !== origin) this.#origins.set(rawOrigin, state)
    return state
  }

  readonly #onBreaker = (origin: string, state: BreakerState): void => {
    if (breakerChannel.hasSubscribers) breakerChannel.publish({ client: this.name, origin, state })
  }

  /** Sends a request; resolves once the whole body is read. Non-2xx statuses resolve too (check `statusCode`). */
  request(input: RequestInput): Promise<HttpResponse> {
    this.#requests++
    if (this.#closed !== undefined) return this.#reject(new ClosedError())
    let req: Prepared
    let state: OriginState
    try {
      req = prepare(input, this.#o.origin)
      state = this.#originState(req.rawOrigin)
    } catch (error) {
      return this.#reject(error as HttpError)
    }
    const store = this.#store
    if (store !== undefined && !req.noCache && (req.method === 'GET' || req.method === 'HEAD')) {
      if (req.method === 'GET' && (req.headers === undefined || !hasAny(req.headers, CONDITIONAL))) {
        const hit = store.peekFresh(state.origin, req.path, req.headers)
        if (hit !== undefined) return Promise.resolve(this.#fromCache(req, state, hit))
      }
    }
    if (
      this.#o.coalesce &&
      !req.noCache &&
      (req.method === 'GET' || req.method === 'HEAD') &&
      req.signal === undefined
    ) {
      const key = coalesceKey(state.origin, req)
      const pending = this.#inflight.get(key)
      if (pending !== undefined) {
        this.#coalesced++
        return pending
      }
      const promise = this.#run(req, state)
      this.#inflight.set(key, promise)
      const done = (): void => {
        this.#inflight.delete(key)
      }
      promise.then(done, done)
      return promise
    }
    return this.#run(req, state)
  }

  #reject(error: HttpError): Promise<never> {
    this.#countError(error.code)
    return Promise.reject(error)
  }

  #countError(code: string): void {
    this.#errors[code] = (this.#errors[code] ?? 0) + 1
  }

  #fromCache(
    req: Prepared,
    state: OriginState,
    hit: { statusCode: number; headers: ResponseHeaders; cachedAt: number; body: Buffer },
  ): HttpResponse {
    this.#cacheOutcomes.hit++
    const headers: ResponseHeaders = {
      ...hit.headers,
      age: String(Math.max(0, Math.round((Date.now() - hit.cachedAt) / 1000))),
    }
    const res = new HttpResponse(hit.statusCode, headers, 'hit', req.method === 'HEAD' ? undefined : hit.body)
    if (requestChannel.hasSubscribers) {
      requestChannel.publish({
        client: this.name,
        method: req.method,
        origin: state.origin,
        path: pathOnly(req.path),
        statusCode: hit.statusCode,
        durationMs: 0,
        cache: 'hit',
        retries: 0,
      })
    }
    return res
  }

  async #run(req: Prepared, state: OriginState): Promise<HttpResponse> {
    const observed = requestChannel.hasSubscribers
    const start = observed ? performance.now() : 0
    const retry = this.#o.retry
    const maxRetries =
      retry === false
        ? 0
        : !isRetryableMethod(req.method, req.headers, retry.withIdempotencyKey)
          ? 0
          : (req.retries ?? retry.retries)
    const useCache = this.#store !== undefined && !req.noCache
    const dispatcher = useCache ? state.cached : state.direct
    let attempt = 0
    for (;;) {
      let probe = false
      try {
        if (state.breaker !== undefined) probe = state.breaker.enter()
        if (state.limiter !== undefined && !state.limiter.tryTake()) await this.#waitToken(state)
        if (this.#closed !== undefined) throw new ClosedError()
        if (this.#active < this.#o.maxConnections) this.#active++
        else await this.#waitSlot()
      } catch (error) {
        state.breaker?.release(probe)
        throw this.#finishError(req, state, error as HttpError, attempt, start, observed)
      }
      const collector = new Collector(req.signal)
      const opts: DispatchOpts = {
        origin: state.origin,
        path: req.path,
        method: req.method as Dispatcher.HttpMethod,
        headers: req.headers as Record<string, string>,
        body: req.body,
        headersTimeout: req.headersTimeout,
        bodyTimeout: req.bodyTimeout,
      }
      if (useCache) {
        if (this.#credentialKey !== undefined && req.headers?.authorization !== undefined)
          this.#partition(opts, req, state)
        opts[kCollector] = collector
        ;(collector as ObservedCollector).request = {
          origin: state.origin,
          method: req.method,
          path: req.path,
          headers: req.headers,
        }
      }
      try {
        dispatcher.dispatch(opts, collector)
      } catch (error) {
        collector.onResponseError(null, error as Error)
      }
      await collector.promise
      this.#releaseSlot()

      if (collector.error !== undefined) {
        const error = toUpstreamError(collector.error, req.method, state.origin, collector.headersReceived)
        if (state.breaker !== undefined) {
          if (error.code === 'HOTPATH_HTTP_ABORTED' || error instanceof InvalidRequestError)
            state.breaker.release(probe)
          else state.breaker.failure(probe)
        }
        if (attempt < maxRetries && isRetryableError(error.code) && this.#closed === undefined) {
          const delay = backoffDelay(
            attempt,
            (retry as { minDelay: number }).minDelay,
            (retry as { maxDelay: number }).maxDelay,
          )
          attempt++
          if (await this.#retryWait(req, state, attempt, delay, error.code)) continue
        }
        throw this.#finishError(req, state, error, attempt, start, observed)
      }

      const status = collector.statusCode
      if (state.breaker !== undefined) {
        if (status >= 500) state.breaker.failure(probe)
        else state.breaker.success(probe)
      }
      if (attempt < maxRetries && this.#retryStatuses.has(status) && this.#closed === undefined) {
        const r = retry as Required<Exclude<ResolvedOptions['retry'], false>>
        const after = parseRetryAfter((collector.headers as ResponseHeaders)['retry-after'])
        if (after === undefined || after <= r.maxRetryAfter) {
          const delay = after ?? backoffDelay(attempt, r.minDelay, r.maxDelay)
          attempt++
          if (await this.#retryWait(req, state, attempt, delay, `status ${status}`)) continue
        }
      }
      const headers = collector.headers as ResponseHeaders
      const outcome = useCache ? cacheOutcome(req, collector, headers) : 'bypass'
      this.#cacheOutcomes[outcome]++
      if (
        this.#o.invalidate === 'collection' &&
        this.#store !== undefined &&
        status >= 200 &&
        status < 400 &&
        WRITE_METHODS.has(req.method)
      ) {
        await this.#store.invalidatePrefix(state.origin, collectionOf(req.method, req.path)).catch(() => {})
      }
      const res = new HttpResponse(status, headers, outcome, collector.body)
      res.retries = attempt
      if (observed) {
        requestChannel.publish({
          client: this.name,
          method: req.method,
          origin: state.origin,
          path: pathOnly(req.path),
          statusCode: status,
          durationMs: performance.now() - start,
          cache: outcome,
          retries: attempt,
        })
      }
      return res
    }
  }

  /**
   * undici's cache never stores a response to a request with Authorization unless it is public. With a
   * credentialKey the user opted into per-credential partitions, so the header is held back while the request
   * passes the cache (the partition header stands in for it) and restored by the observer before sending.
   */
  #partition(opts: DispatchOpts, req: Prepared, state: OriginState): void {
    const headers = req.headers as Record<string, string | string[] | undefined>
    const part = (this.#credentialKey as NonNullable<HttpClientOptions['credentialKey']>)({
      origin: state.origin,
      method: req.method,
      path: req.path,
      headers,
    })
    if (part === undefined || part === '') return
    const shown: Record<string, string | string[] | undefined> = { ...headers, [PARTITION_HEADER]: part }
    delete shown.authorization
    opts.headers = shown as Record<string, string>
    opts[kAuthorization] = headers.authorization
  }

  /** Waits before a retry; false when the wait was cut short (client closed or request aborted). */
  async #retryWait(
    req: Prepared,
    state: OriginState,
    attempt: number,
    delayMs: number,
    reason: string,
  ): Promise<boolean> {
    this.#retries++
    if (retryChannel.hasSubscribers) {
      retryChannel.publish({
        client: this.name,
        method: req.method,
        origin: state.origin,
        attempt,
        delayMs,
        reason,
      })
    }
    const signal =
      req.signal === undefined ? this.#closing.signal : AbortSignal.any([req.signal, this.#closing.signal])
    try {
      await sleep(delayMs, undefined, { signal, ref: false })
      return true
    } catch {
      return false
    }
  }

  #finishError(
    req: Prepared,
    state: OriginState,
    error: HttpError,
    attempt: number,
    start: number,
    observed: boolean,
  ): HttpError {
    const e = isHotpathError(error) ? error : toUpstreamError(error, req.method, state.origin, false)
    this.#countError(e.code)
    if (observed) {
      requestChannel.publish({
        client: this.name,
        method: req.method,
        origin: state.origin,
        path: pathOnly(req.path),
        durationMs: performance.now() - start,
        cache: 'bypass',
        error: { code: e.code, message: e.message },
        retries: attempt,
      })
    }
    return e
  }

  async #waitToken(state: OriginState): Promise<void> {
    this.#rateLimitWaits++
    const waitMs = await (state.limiter as TokenBucket).wait()
    if (rateLimitChannel.hasSubscribers)
      rateLimitChannel.publish({ client: this.name, origin: state.origin, waitMs })
  }

  #waitSlot(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: SlotWaiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.#slotQueue.indexOf(waiter)
          if (i !== -1) this.#slotQueue.splice(i, 1)
          reject(
            new HttpErrorClass(
              'HOTPATH_HTTP_QUEUE_TIMEOUT',
              `no free connection slot within queueTimeout (${this.#o.queueTimeout} ms)`,
            ),
          )
        }, this.#o.queueTimeout),
      }
      waiter.timer.unref()
      this.#slotQueue.push(waiter)
    })
  }

  #releaseSlot(): void {
    const next = this.#slotQueue.shift()
    if (next === undefined) {
      this.#active--
      return
    }
    clearTimeout(next.timer)
    next.resolve()
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
    const state = this.#originState(req.rawOrigin)
    await this.#store.invalidatePrefix(state.origin, req.path)
  }

  /** Drops cached responses carrying any of the tags (see the `cacheTags` option). */
  async invalidateTags(tags: string[]): Promise<void> {
    if (this.#closed !== undefined) throw new ClosedError()
    if (this.#store === undefined) return
    await this.#store.invalidateTags(tags)
  }

  stats(): HttpClientStats {
    const breakers: Record<string, BreakerState> = {}
    for (const state of this.#origins.values())
      if (state.breaker !== undefined) breakers[state.origin] = state.breaker.state
    const pool: PoolStatsSnapshot = { connected: 0, free: 0, pending: 0, running: 0, size: 0 }
    const all = this.#agent.stats as Record<string, Partial<PoolStatsSnapshot>>
    for (const origin in all) {
      const s = all[origin] as Partial<PoolStatsSnapshot>
      pool.connected += s.connected ?? 0
      pool.free += s.free ?? 0
      pool.pending += s.pending ?? 0
      pool.running += s.running ?? 0
      pool.size += s.size ?? 0
    }
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
      pool,
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
    for (const waiter of this.#slotQueue.splice(0)) {
      clearTimeout(waiter.timer)
      waiter.reject(error)
    }
    for (const state of new Set(this.#origins.values())) state.limiter?.close(error)
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

function hasAny(headers: Record<string, unknown>, names: string[]): boolean {
  for (const name of names) if (headers[name] !== undefined) return true
  return false
}

function coalesceKey(origin: string, req: Prepared): string {
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

function cacheOutcome(req: Prepared, collector: Collector, headers: ResponseHeaders): CacheOutcome {
  if ((headers as Record<symbol, unknown>)[kFromCache] === true) {
    if (collector.originStatus === 304) return 'revalidated'
    if (collector.originStatus !== 0 || headers.warning !== undefined) return 'stale'
    return 'hit'
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return 'bypass'
  return hasCredentials(req.headers) ? 'bypass' : 'miss'
}

/** The collection a write touches: POST /orders -> /orders; PUT|PATCH|DELETE /orders/42 -> /orders. */
export function collectionOf(method: string, path: string): string {
  const pathname = pathOnly(path).replace(/\/+$/, '')
  if (method === 'POST') return pathname || '/'
  const slash = pathname.lastIndexOf('/')
  return slash > 0 ? pathname.slice(0, slash) : pathname || '/'
}

/** Creates an HTTP client (see HttpClientOptions for defaults). */
export function createHttpClient(options?: HttpClientOptions): HttpClient {
  return new HttpClient(options)
}
