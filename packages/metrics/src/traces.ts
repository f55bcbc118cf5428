// Spans from the packages' events, through @opentelemetry/api (the user's TracerProvider; no SDK here).
//
// The packages publish one event when an operation has finished (no tracingChannel start/end pair), with its
// measured `durationMs`: a span is therefore started and ended at once, its start time put back by the
// duration, as a child of the context active where the event is published (the caller's: the payload is
// published in the operation's own async continuation). What this cannot do: be the parent of work done
// inside the operation (a query run by a cache factory is the factory span's sibling, not its child), and
// put `traceparent` on an outgoing request (the request has left when the event arrives).
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import {
  type Attributes,
  context,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api'
import { dbStatusCode, errorType, nameOf, normalizeMethod, oneOf, serverOf } from './attributes.ts'
import {
  DB_SYSTEMS,
  FACTORY_TIMEOUTS,
  HTTP_CACHE_OUTCOMES,
  type Listener,
  type Subscribe,
} from './contracts.ts'
import type { InstrumentOptions } from './pipeline.ts'
import type { Exemplars } from './exemplars.ts'
import { SCOPE } from './scope.ts'
import { deferredNames, type ResolvedStandard, STANDARD_NAMES } from './standard.ts'

type Handler = (message: unknown) => void

/** Epoch milliseconds now, at sub-millisecond resolution (the span API takes epoch ms). */
function nowMs(): number {
  return performance.timeOrigin + performance.now()
}

export class Tracing {
  readonly #provider: () => TracerProvider
  readonly #standard: ResolvedStandard
  #tracer: Tracer | undefined
  readonly #subscriptions: Array<[string, Handler]> = []
  readonly #groups: Set<string> = new Set()
  readonly #exemplars: Exemplars | undefined

  /** `provider` is called once, at the first span. */
  constructor(provider: () => TracerProvider, standard: ResolvedStandard, exemplars?: Exemplars) {
    this.#provider = provider
    this.#standard = standard
    this.#exemplars = exemplars
  }

  get #t(): Tracer {
    this.#tracer ??= this.#provider().getTracer(SCOPE.name, SCOPE.version)
    return this.#tracer
  }

  subscribe(options: InstrumentOptions): void {
    if (options.cache !== false && !this.#groups.has('cache')) {
      this.#groups.add('cache')
      this.#on('hotpath:cache:factory', this.#onCacheFactory)
    }
    if (options.http !== false && !this.#groups.has('http')) {
      this.#groups.add('http')
      this.#on('hotpath:http:request', this.#onHttpRequest)
    }
    if (options.db !== false && !this.#groups.has('db')) {
      this.#groups.add('db')
      this.#on('hotpath:db:query', this.#onDbQuery)
    }
  }

  unsubscribeAll(): void {
    for (const [name, fn] of this.#subscriptions) unsubscribe(name, fn)
    this.#subscriptions.length = 0
    this.#groups.clear()
  }

  readonly #on: Subscribe = (name, fn) => {
    const safe: Handler = (message) => {
      if (typeof message !== 'object' || message === null) return
      try {
        fn(message as never)
      } catch {
        // a span that cannot be made never throws into the publisher
      }
    }
    subscribe(name, safe)
    this.#subscriptions.push([name, safe])
  }

  /** One finished operation as a span, `durationMs` before now, child of the active context. */
  #span(
    event: object,
    name: string,
    kind: SpanKind,
    durationMs: number,
    attributes: Attributes,
    error: string | undefined,
    message?: string,
  ): void {
    const end = nowMs()
    const span = this.#t.startSpan(
      name,
      { kind, startTime: end - Math.max(0, durationMs), attributes },
      context.active(),
    )
    if (error !== undefined) {
      span.setAttribute('error.type', error)
      span.setStatus(
        message === undefined ? { code: SpanStatusCode.ERROR } : { code: SpanStatusCode.ERROR, message },
      )
    }
    span.end(end)
    this.#exemplars?.spans.set(event, span.spanContext())
  }

  readonly #onHttpRequest: Listener<'hotpath:http:request'> = (m) => {
    if (typeof m.durationMs !== 'number') return
    const cache = oneOf(m.cache, HTTP_CACHE_OUTCOMES, 'bypass')
    const method = normalizeMethod(m.method)
    const server = serverOf(m.origin)
    const attributes: Attributes = {
      'http.request.method': method,
      'server.address': server.address,
      'hotpath.http.client': nameOf(m.client),
      'hotpath.http.cache': cache,
    }
    if (server.port !== undefined) attributes['server.port'] = server.port
    if (method === '_OTHER' && typeof m.method === 'string')
      attributes['http.request.method_original'] = m.method
    if (cache === 'hit' || cache === 'stale') {
      // answered by the response cache: no network call, so no CLIENT span
      this.#span(m, `${method} cache ${cache}`, SpanKind.INTERNAL, m.durationMs, attributes, undefined)
      return
    }
    // instrumentation-undici makes the CLIENT span of the network call (and injects traceparent)
    if (deferredNames(this.#standard, ['httpClient']).has(STANDARD_NAMES.httpClient)) return
    if (typeof m.origin === 'string') {
      attributes['url.full'] = `${m.origin}${typeof m.path === 'string' ? m.path : ''}`
      attributes['url.scheme'] = m.origin.startsWith('https:') ? 'https' : 'http'
    }
    const status = typeof m.statusCode === 'number' ? m.statusCode : undefined
    if (status !== undefined) attributes['http.response.status_code'] = status
    if (typeof m.retries === 'number' && m.retries > 0) attributes['http.request.resend_count'] = m.retries
    const error =
      m.error !== undefined && m.error !== null
        ? errorType(m.error)
        : status !== undefined && status >= 400
          ? String(status)
          : undefined
    this.#span(m, method, SpanKind.CLIENT, m.durationMs, attributes, error, m.error?.message)
  }

  readonly #onDbQuery: Listener<'hotpath:db:query'> = (m) => {
    if (typeof m.durationMs !== 'number') return
    const summary = typeof m.summary === 'string' && m.summary !== '' ? m.summary.slice(0, 128) : undefined
    const system = oneOf(m.system, DB_SYSTEMS)
    const attributes: Attributes = {
      'db.system.name': system,
      'db.namespace': nameOf(typeof m.namespace === 'string' ? m.namespace : m.database),
    }
    if (typeof m.operation === 'string') attributes['db.operation.name'] = m.operation.slice(0, 32)
    if (summary !== undefined) attributes['db.query.summary'] = summary
    // the fingerprint has every literal replaced by `?`: the sanitised text the conventions allow
    if (typeof m.fingerprint === 'string') attributes['db.query.text'] = m.fingerprint
    if (typeof m.serverAddress === 'string') attributes['server.address'] = m.serverAddress
    if (typeof m.serverPort === 'number') attributes['server.port'] = m.serverPort
    if (typeof m.rows === 'number') attributes['db.response.returned_rows'] = m.rows
    const sqlState = dbStatusCode(m.error)
    if (sqlState !== undefined) attributes['db.response.status_code'] = sqlState
    const error = sqlState ?? (m.error !== undefined && m.error !== null ? errorType(m.error) : undefined)
    // span name: {db.query.summary}, else {db.system.name} (semantic conventions)
    const name = summary ?? system
    if (m.cached === true) {
      attributes['hotpath.db.cached'] = true
      this.#span(m, `${name} cached`, SpanKind.INTERNAL, 0, attributes, error)
      return
    }
    // the span covers the wait for a pooled connection too: what the caller waited for
    const wait = typeof m.waitMs === 'number' && m.waitMs > 0 ? m.waitMs : 0
    this.#span(m, name, SpanKind.CLIENT, m.durationMs + wait, attributes, error, m.error?.message)
  }

  readonly #onCacheFactory: Listener<'hotpath:cache:factory'> = (m) => {
    if (typeof m.durationMs !== 'number') return
    const cache = nameOf(m.cache)
    const attributes: Attributes = { 'hotpath.cache.name': cache }
    if (m.timedOut !== undefined) attributes['hotpath.cache.timeout'] = oneOf(m.timedOut, FACTORY_TIMEOUTS)
    const error = m.error !== undefined ? errorType(m.error) : undefined
    this.#span(m, `cache factory ${cache}`, SpanKind.INTERNAL, m.durationMs, attributes, error)
  }
}

/** The TracerProvider of the `tracerProvider` option. */
export function resolveTracerProvider(
  option: TracerProvider | 'global' | (() => TracerProvider),
): TracerProvider {
  // the API's global is a proxy: a provider registered later (NodeSDK.start()) is used from then on
  if (option === 'global') return trace.getTracerProvider()
  return typeof option === 'function' ? option() : option
}
