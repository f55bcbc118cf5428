// Spans from the packages' tracingChannels, through @opentelemetry/api (the user's TracerProvider; no SDK
// here): a span starts at the channel's `start` as a child of the active context and ends when the traced
// call settles (see trace-context.ts for how work inside it becomes its child). HTTP client spans put the
// W3C trace context on the outgoing request (`propagation.inject` into the call's `setHeader`).
//
// Next to the OTel contrib instrumentations (standardInstruments 'auto'), the network span is theirs:
// while instrumentation-undici is active no CLIENT span is made for a request (it makes one per dispatch
// and injects traceparent itself), and while instrumentation-pg is active none for a PostgreSQL statement
// sent on its own (a pipelined read or a batch is sent in one pg Client#query call that instrumentation-pg
// cannot time, see pg-untimed.ts: those stay ours).
// The spans only hotpath can make stay: responses served by the HTTP cache, cache factories.
//
// Query-cache hits (a statement that did not run) publish no tracing events: their INTERNAL span still comes
// from the plain `hotpath:db:query` event (`cached: true`).
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import {
  type Attributes,
  type Context,
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapSetter,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api'
import { dbStatusCode, errorType, nameOf, normalizeMethod, oneOf } from './attributes.ts'
import { DB_SYSTEMS, HTTP_CACHE_OUTCOMES, type Listener, type TracingContexts } from './contracts.ts'
import type { Exemplars } from './exemplars.ts'
import type { InstrumentOptions } from './pipeline.ts'
import { outsidePgQueryCall } from './pg-untimed.ts'
import { SCOPE } from './scope.ts'
import { type DeferralCheck, deferralCheck } from './standard-deferral.ts'
import type { ResolvedStandard } from './standard.ts'
import { contextStorage, ownerKey, TracedChannel } from './trace-context.ts'

type HttpCall = TracingContexts['hotpath:http:request']
type Statement = TracingContexts['hotpath:db:query']
type FactoryRun = TracingContexts['hotpath:cache:factory']

const HEADERS: TextMapSetter<HttpCall> = {
  set(carrier, key, value) {
    carrier.setHeader(key, value)
  },
}

function fail(span: Span, type: string, error?: unknown): void {
  span.setAttribute('error.type', type)
  const message = (error as { message?: unknown } | undefined)?.message
  span.setStatus(
    typeof message === 'string' ? { code: SpanStatusCode.ERROR, message } : { code: SpanStatusCode.ERROR },
  )
}

export class Tracing {
  readonly #provider: () => TracerProvider
  readonly #deferred: DeferralCheck
  #tracer: Tracer | undefined
  readonly #channels: Array<{ close(): void }> = []
  readonly #plain: Array<[string, (message: unknown) => void]> = []
  readonly #groups: Set<string> = new Set()
  readonly #exemplars: Exemplars | undefined
  /** This instance's spans in a context several instances bind into (see trace-context.ts). */
  readonly #owner: symbol = ownerKey()

  /** `provider` is called once, at the first span. */
  constructor(provider: () => TracerProvider, standard: ResolvedStandard, exemplars?: Exemplars) {
    this.#provider = provider
    this.#deferred = deferralCheck(standard)
    this.#exemplars = exemplars
  }

  get #t(): Tracer {
    this.#tracer ??= this.#provider().getTracer(SCOPE.name, SCOPE.version)
    return this.#tracer
  }

  subscribe(options: InstrumentOptions): void {
    // looked up when instrument() runs: a context manager registered later gives parent-only spans
    const storage = contextStorage()
    if (options.cache !== false && !this.#groups.has('cache')) {
      this.#groups.add('cache')
      this.#channels.push(new TracedChannel('hotpath:cache:factory', this.#factory, storage, this.#owner))
    }
    if (options.http !== false && !this.#groups.has('http')) {
      this.#groups.add('http')
      this.#channels.push(new TracedChannel('hotpath:http:request', this.#http, storage, this.#owner))
    }
    if (options.db !== false && !this.#groups.has('db')) {
      this.#groups.add('db')
      this.#channels.push(new TracedChannel('hotpath:db:query', this.#db, storage, this.#owner))
      this.#on('hotpath:db:query', this.#onCachedQuery)
    }
  }

  unsubscribeAll(): void {
    for (const c of this.#channels) c.close()
    for (const [name, fn] of this.#plain) unsubscribe(name, fn)
    this.#channels.length = 0
    this.#plain.length = 0
    this.#groups.clear()
  }

  #on<N extends 'hotpath:db:query'>(name: N, fn: Listener<N>): void {
    const safe = (message: unknown): void => {
      if (typeof message !== 'object' || message === null) return
      try {
        fn(message as never)
      } catch {
        // a span that cannot be made never throws into the publisher
      }
    }
    subscribe(name, safe)
    this.#plain.push([name, safe])
  }

  readonly #http = {
    begin: (c: HttpCall, parent: Context): Span | undefined => {
      const method = normalizeMethod(c.method)
      const attributes: Attributes = {
        'http.request.method': method,
        'server.address': c.host,
        'server.port': c.port,
        'hotpath.http.client': nameOf(c.client),
      }
      if (method === '_OTHER') attributes['http.request.method_original'] = c.method
      if (c.fromCache || c.coalesced) {
        // no network call of its own: an INTERNAL span, never an http.client one
        attributes['hotpath.http.cache'] = c.fromCache ? 'hit' : 'coalesced'
        const name = c.fromCache ? `${method} cache hit` : `${method} coalesced`
        return this.#t.startSpan(name, { kind: SpanKind.INTERNAL, attributes }, parent)
      }
      if (this.#deferred('httpClient')) return undefined
      attributes['url.full'] = `${c.origin}${c.path}`
      attributes['url.scheme'] = c.scheme
      const span = this.#t.startSpan(method, { kind: SpanKind.CLIENT, attributes }, parent)
      propagation.inject(trace.setSpan(parent, span), c, HEADERS)
      return span
    },
    finish: (c: HttpCall, span: Span): void => {
      const status = c.statusCode
      if (status !== undefined) span.setAttribute('http.response.status_code', status)
      if (!c.fromCache && !c.coalesced && c.cache !== undefined)
        // `hit` / `stale` here: undici's cache interceptor answered (no network call), marked as such
        span.setAttribute('hotpath.http.cache', oneOf(c.cache, HTTP_CACHE_OUTCOMES, 'bypass'))
      if (c.retries > 0) span.setAttribute('http.request.resend_count', c.retries)
      if (c.error !== undefined) fail(span, errorType(c.error) ?? '_OTHER', c.error)
      else if (status !== undefined && status >= 400) fail(span, String(status))
    },
  }

  readonly #db = {
    begin: (s: Statement, parent: Context): Span | undefined => {
      // instrumentation-pg spans a statement sent on its own; a pipelined read or a batch it cannot see as one
      if (s.system === 'postgresql' && !outsidePgQueryCall(s) && this.#deferred('db')) return undefined
      const system = oneOf(s.system, DB_SYSTEMS)
      const summary = s.summary !== '' ? s.summary.slice(0, 128) : undefined
      const attributes: Attributes = {
        'db.system.name': system,
        'db.namespace': nameOf(s.namespace),
        'db.operation.name': s.operation.slice(0, 32),
        // the fingerprint has every literal replaced by `?`: the sanitised text the conventions allow
        'db.query.text': s.fingerprint,
      }
      if (summary !== undefined) attributes['db.query.summary'] = summary
      if (s.collection !== undefined) attributes['db.collection.name'] = s.collection
      if (s.batchSize !== undefined) attributes['db.operation.batch.size'] = s.batchSize
      if (s.serverAddress !== undefined) attributes['server.address'] = s.serverAddress
      if (s.serverPort !== undefined) attributes['server.port'] = s.serverPort
      // span name: {db.query.summary}, else {db.system.name} (semantic conventions): never a statement name
      return this.#t.startSpan(summary ?? system, { kind: SpanKind.CLIENT, attributes }, parent)
    },
    finish: (s: Statement, span: Span): void => {
      if (s.error === undefined) {
        span.setAttribute('db.response.returned_rows', s.rows)
        return
      }
      const sqlState = s.sqlState ?? dbStatusCode(s.error)
      if (sqlState !== undefined) span.setAttribute('db.response.status_code', sqlState)
      fail(span, sqlState ?? errorType(s.error) ?? '_OTHER', s.error)
    },
  }

  readonly #factory = {
    begin: (f: FactoryRun, parent: Context): Span => {
      const cache = nameOf(f.cache)
      const attributes: Attributes = {
        'hotpath.cache.name': cache,
        'hotpath.cache.refresh': f.refresh === true,
      }
      return this.#t.startSpan(`cache factory ${cache}`, { kind: SpanKind.INTERNAL, attributes }, parent)
    },
    finish: (f: FactoryRun, span: Span): void => {
      if (f.error !== undefined) fail(span, errorType(f.error) ?? '_OTHER', f.error)
    },
  }

  /** A query-cache hit (the statement did not run, so no tracing events): a zero-length INTERNAL span. */
  readonly #onCachedQuery: Listener<'hotpath:db:query'> = (m) => {
    if (m.cached !== true) return
    const system = oneOf(m.system, DB_SYSTEMS)
    const summary = typeof m.summary === 'string' && m.summary !== '' ? m.summary.slice(0, 128) : undefined
    const attributes: Attributes = {
      'db.system.name': system,
      'db.namespace': nameOf(typeof m.namespace === 'string' ? m.namespace : m.database),
      'hotpath.db.cached': true,
    }
    if (typeof m.operation === 'string') attributes['db.operation.name'] = m.operation.slice(0, 32)
    if (summary !== undefined) attributes['db.query.summary'] = summary
    if (typeof m.rows === 'number') attributes['db.response.returned_rows'] = m.rows
    const span = this.#t.startSpan(
      `${summary ?? system} cached`,
      { kind: SpanKind.INTERNAL, attributes },
      context.active(),
    )
    span.end()
    this.#exemplars?.spans.set(m, span.spanContext())
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
