import { type Clock, isHotpathError } from '@hotpath/core'
import type { Agent, Dispatcher } from 'undici'
import { type BatchOptions, type BatchResult, runBatch } from './batch.ts'
import { Collector, type kAuthorization, kBlocked, kCollector } from './collector.ts'
import {
  type BreakerState,
  type CacheOutcome,
  type RequestEvent,
  pathOnly,
  rateLimitChannel,
  requestChannel,
  retryChannel,
} from './channels.ts'
import {
  CircuitOpenError,
  ClosedError,
  type HttpError,
  InvalidRequestError,
  toUpstreamError,
  UpstreamError,
} from './errors.ts'
import { cacheOutcome, coalesceKey, collectionOf, hasAny, partitionCredentials } from './keys.ts'
import { buildDispatchers } from './dispatchers.ts'
import { type OriginState, Origins } from './origins.ts'
import { type HttpClientOptions, type ResolvedOptions, resolveOptions } from './options.ts'
import { type Prepared, prepare, type RequestInput } from './prepare.ts'
import type { TokenBucket } from './rate-limiter.ts'
import { HttpResponse, type ResponseHeaders } from './response.ts'
import { backoffDelay, isRetryableError, isRetryableMethod, parseRetryAfter, pause } from './retry.ts'
import { Slots } from './slots.ts'
import { type HttpClientStats, poolStats } from './stats.ts'
import type { HotpathCacheStore } from './store.ts'

const WRITE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
/** Request headers that keep a GET off the fast path (plus the credential headers). */
const CONDITIONAL = ['cache-control', 'pragma', 'if-none-match', 'if-modified-since', 'range']

type DispatchOpts = Dispatcher.DispatchOptions & {
  [kCollector]?: Collector
  [kAuthorization]?: string | string[]
  [kBlocked]?: Error
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
  readonly #origins: Origins
  readonly #credentialKey: HttpClientOptions['credentialKey']
  readonly #inflight = new Map<string, Promise<HttpResponse>>()
  readonly #retryStatuses: ReadonlySet<number>
  readonly #closing = new AbortController()
  readonly #slots: Slots
  readonly #clock: Clock
  readonly #partitionToken: (part: string) => string
  /** CONDITIONAL + the credential headers: a GET carrying none of them may take the fast path. */
  readonly #slowHeaders: readonly string[]
  readonly #credentialHeaders: readonly string[]
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
    this.#clock = o.clock
    this.#slots = new Slots(o.maxInFlight, o.queueTimeout)
    this.#retryStatuses = new Set(o.retry === false ? [] : o.retry.statusCodes)
    const d = buildDispatchers(o, options)
    this.#agent = d.agent
    this.#origins = new Origins(o, d)
    this.#store = d.store
    this.#ownsCache = d.ownsCache
    const store = d.store
    this.#partitionToken = (part) => (store as HotpathCacheStore).partitionToken(part)
    this.#credentialHeaders = store?.credentialHeaders ?? []
    this.#slowHeaders = [...CONDITIONAL, ...this.#credentialHeaders]
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
    let state: OriginState
    try {
      req = prepare(input, this.#o.origin)
      state = this.#origins.get(req.rawOrigin)
    } catch (error) {
      return this.#reject(
        isHotpathError(error)
          ? (error as HttpError)
          : new InvalidRequestError('HOTPATH_HTTP_INVALID_REQUEST', `invalid request: ${String(error)}`, {
              cause: error,
            }),
      )
    }
    const store = this.#store
    if (
      store !== undefined &&
      !req.noCache &&
      req.method === 'GET' &&
      (req.headers === undefined || !hasAny(req.headers, this.#slowHeaders))
    ) {
      const t0 = requestChannel.hasSubscribers ? this.#clock.now() : 0
      const hit = store.peekFresh(state.origin, req.path, req.headers)
      if (hit !== undefined) return Promise.resolve(this.#fromCache(req, state, hit, t0))
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
    t0: number,
  ): HttpResponse {
    this.#cacheOutcomes.hit++
    const headers: ResponseHeaders = {
      ...hit.headers,
      age: String(Math.max(0, Math.round((this.#clock.epoch() - hit.cachedAt) / 1000))),
    }
    const res = new HttpResponse(hit.statusCode, headers, 'hit', req.method === 'HEAD' ? undefined : hit.body)
    res.cachedIn(this.#store as HotpathCacheStore, state.origin, req.path)
    if (requestChannel.hasSubscribers) this.#publishRequest(req, state, t0, 'hit', 0, hit.statusCode)
    return res
  }

  async #run(req: Prepared, state: OriginState): Promise<HttpResponse> {
    const observed = requestChannel.hasSubscribers
    const start = observed ? this.#clock.now() : 0
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
      // The breaker sits behind the cache: while it is open a GET/HEAD still goes to the cache, which may
      // answer with a fresh or usable-stale entry; whatever would reach the origin fails with CIRCUIT_OPEN.
      let blocked: CircuitOpenError | undefined
      try {
        if (state.breaker !== undefined) {
          try {
            probe = state.breaker.enter()
          } catch (error) {
            if (
              !(
                useCache &&
                error instanceof CircuitOpenError &&
                (req.method === 'GET' || req.method === 'HEAD')
              )
            )
              throw error
            blocked = error
          }
        }
        if (this.#closed !== undefined) throw new ClosedError()
        if (blocked === undefined) {
          if (state.limiter !== undefined && !state.limiter.tryTake()) await this.#waitToken(state)
          if (this.#closed !== undefined) throw new ClosedError()
          if (!this.#slots.tryAcquire()) await this.#slots.wait()
        }
      } catch (error) {
        state.breaker?.release(probe)
        throw this.#finishError(req, state, error as HttpError, attempt, start, observed)
      }
      const collector = new Collector(req.signal, req.method, state.origin)
      const opts: DispatchOpts = {
        origin: state.origin,
        path: req.path,
        method: req.method as Dispatcher.HttpMethod,
        headers: req.headers as Record<string, string>,
        body: req.body,
        headersTimeout: req.headersTimeout,
        bodyTimeout: req.bodyTimeout,
      }
      try {
        if (useCache) {
          // credentialKey is the caller's function: a throw fails this attempt like any dispatch error
          if (this.#credentialKey !== undefined && req.headers !== undefined)
            partitionCredentials(opts, req, state.origin, this.#credentialKey, this.#partitionToken)
          opts[kCollector] = collector
          if (blocked !== undefined) opts[kBlocked] = blocked
          ;(collector as ObservedCollector).request = {
            origin: state.origin,
            method: req.method,
            path: req.path,
            headers: req.headers,
          }
        }
        dispatcher.dispatch(opts, collector)
      } catch (error) {
        collector.onResponseError(null, error as Error)
      }
      await collector.promise
      if (blocked === undefined) this.#slots.release()

      if (collector.error !== undefined) {
        const error = toUpstreamError(collector.error, req.method, state.origin, collector.headersReceived)
        if (blocked !== undefined)
          throw this.#finishError(req, state, this.#abortedOr(req, error), attempt, start, observed)
        if (state.breaker !== undefined) {
          if (error instanceof InvalidRequestError) state.breaker.release(probe)
          else state.breaker.judgeError(error.code, probe)
        }
        if (attempt < maxRetries && isRetryableError(error.code) && this.#closed === undefined) {
          const delay = backoffDelay(
            attempt,
            (retry as { minDelay: number }).minDelay,
            (retry as { maxDelay: number }).maxDelay,
          )
          if (await this.#retryWait(req, state, attempt + 1, delay, error.code)) {
            attempt++
            continue
          }
        }
        throw this.#finishError(req, state, this.#abortedOr(req, error), attempt, start, observed)
      }

      const status = collector.statusCode
      if (state.breaker !== undefined && blocked === undefined) {
        // judged on what the origin did: a response the cache answered alone says nothing about it
        if (!useCache) state.breaker.judgeStatus(status, probe)
        else if (collector.originStatus !== 0) state.breaker.judgeStatus(collector.originStatus, probe)
        else if (collector.originError !== undefined)
          state.breaker.judgeError(
            toUpstreamError(collector.originError, req.method, state.origin, false).code,
            probe,
          )
        else state.breaker.release(probe)
      }
      if (
        blocked === undefined &&
        attempt < maxRetries &&
        this.#retryStatuses.has(status) &&
        this.#closed === undefined
      ) {
        const r = retry as Required<Exclude<ResolvedOptions['retry'], false>>
        const after = parseRetryAfter(
          (collector.headers as ResponseHeaders)['retry-after'],
          this.#clock.epoch(),
        )
        if (after === undefined || after <= r.maxRetryAfter) {
          const delay = after ?? backoffDelay(attempt, r.minDelay, r.maxDelay)
          if (await this.#retryWait(req, state, attempt + 1, delay, `status ${status}`)) {
            attempt++
            continue
          }
          if (req.signal?.aborted === true) {
            throw this.#finishError(req, state, this.#abortedOr(req, undefined), attempt, start, observed)
          }
        }
      }
      const headers = collector.headers as ResponseHeaders
      const outcome = useCache ? cacheOutcome(req, collector, headers, this.#credentialHeaders) : 'bypass'
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
      if (outcome !== 'bypass') res.cachedIn(this.#store as HotpathCacheStore, state.origin, req.path)
      res.retries = attempt
      if (observed) this.#publishRequest(req, state, start, outcome, attempt, status)
      return res
    }
  }

  /** The caller's abort wins over the last failure when it cut a retry wait short. */
  #abortedOr(req: Prepared, error: HttpError | undefined): HttpError {
    if (req.signal?.aborted === true && error?.code !== 'HOTPATH_HTTP_ABORTED') {
      return new UpstreamError('HOTPATH_HTTP_ABORTED', `${req.method} request aborted by its signal`, {
        cause: req.signal.reason,
      })
    }
    return error as HttpError
  }

  /** Waits before a retry; false when the wait was cut short (client closed or request aborted). */
  #retryWait(
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
    return pause(delayMs, signal)
  }

  /** One `hotpath:http:request` event (the caller has checked that someone subscribes). */
  #publishRequest(
    req: Prepared,
    state: OriginState,
    start: number,
    cache: CacheOutcome,
    retries: number,
    statusCode: number | undefined,
    error?: HttpError,
  ): void {
    const event: RequestEvent = {
      client: this.name,
      method: req.method,
      origin: state.origin,
      path: pathOnly(req.path),
      ...(statusCode === undefined ? {} : { statusCode }),
      durationMs: this.#clock.now() - start,
      cache,
      ...(error === undefined ? {} : { error: { code: error.code, message: error.message } }),
      retries,
    }
    requestChannel.publish(event)
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
    if (observed) this.#publishRequest(req, state, start, 'bypass', attempt, undefined, e)
    return e
  }

  async #waitToken(state: OriginState): Promise<void> {
    this.#rateLimitWaits++
    const waitMs = await (state.limiter as TokenBucket).wait()
    if (rateLimitChannel.hasSubscribers)
      rateLimitChannel.publish({ client: this.name, origin: state.origin, waitMs })
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
    const state = this.#origins.get(req.rawOrigin)
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
    for (const state of this.#origins.all())
      if (state.breaker !== undefined) breakers[state.origin] = state.breaker.state
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
    for (const state of this.#origins.all()) state.limiter?.close(error)
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
