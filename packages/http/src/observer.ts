// Sits right inside undici's cache interceptor (cache mode only): sees what the origin really answered for one of
// our requests, so the client can tell hit/stale/revalidated/miss apart, applies a 304 Not Modified to the stored
// entry, and restores the Authorization header a credential partition held back from undici's cache.
import type { Dispatcher } from 'undici'
import {
  type ClientDispatchOptions,
  type Collector,
  kAuthorization,
  kCollector,
  PARTITION_HEADER,
} from './collector.ts'
import type { ResponseHeaders } from './response.ts'
import type { HotpathCacheStore } from './store.ts'
import type { CacheControlDirectives } from './undici-types.ts'

type CacheKeyLike = Parameters<HotpathCacheStore['refresh']>[0]

type Opts = ClientDispatchOptions

export function observerInterceptor(store: HotpathCacheStore): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) =>
    function observer(opts: Opts, handler) {
      const authorization = opts[kAuthorization]
      if (authorization !== undefined) {
        // The request went through the cache under a credential partition: restore the real header.
        const headers: Record<string, string | string[]> = {
          ...(opts.headers as Record<string, string | string[]>),
          authorization,
        }
        delete headers[PARTITION_HEADER]
        opts = { ...opts, headers, [kAuthorization]: undefined }
      }
      const collector = opts[kCollector]
      if (collector === undefined) return dispatch(opts, handler)
      return dispatch(opts, new ObserverHandler(collector, handler, store, opts))
    }
}

class ObserverHandler implements Dispatcher.DispatchHandler {
  readonly #collector: Collector
  readonly #handler: Dispatcher.DispatchHandler
  readonly #store: HotpathCacheStore
  readonly #opts: Opts

  constructor(
    collector: Collector,
    handler: Dispatcher.DispatchHandler,
    store: HotpathCacheStore,
    opts: Opts,
  ) {
    this.#collector = collector
    this.#handler = handler
    this.#store = store
    this.#opts = opts
  }

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.#handler.onRequestStart?.(controller, context)
  }

  onRequestUpgrade(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: ResponseHeaders,
    socket: never,
  ): void {
    this.#handler.onRequestUpgrade?.(controller, statusCode, headers as never, socket)
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: ResponseHeaders,
    statusMessage?: string,
  ): void {
    this.#collector.originStatus = statusCode
    let up = headers
    const req = this.#collector.request
    const sent = this.#opts.headers as Record<string, unknown> | undefined
    if (
      statusCode === 304 &&
      req !== undefined &&
      sent !== undefined &&
      (sent['if-none-match'] !== undefined || sent['if-modified-since'] !== undefined)
    ) {
      const cc = headers['cache-control']
      const directives =
        cc === undefined ? undefined : parseCacheControl(Array.isArray(cc) ? cc.join(',') : cc)
      this.#store.refresh(req as CacheKeyLike, headers, directives).catch(() => {})
      if (cc !== undefined) {
        // Already applied to the entry; undici would otherwise delete the entry it just revalidated.
        up = { ...headers }
        delete up['cache-control']
      }
    }
    this.#collector.originHeaders = up
    this.#handler.onResponseStart?.(controller, statusCode, up as never, statusMessage)
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#handler.onResponseData?.(controller, chunk)
  }

  onResponseEnd(controller: Dispatcher.DispatchController, trailers: ResponseHeaders): void {
    this.#handler.onResponseEnd?.(controller, trailers as never)
  }

  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.#collector.originError = error
    this.#handler.onResponseError?.(controller, error)
  }
}

/** Small Cache-Control parser (delta-seconds and flags), enough to refresh an entry on a 304. */
export function parseCacheControl(value: string): CacheControlDirectives {
  const out: Record<string, unknown> = {}
  for (const part of value.split(',')) {
    const eq = part.indexOf('=')
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase()
    if (name === '') continue
    if (eq === -1) {
      out[name] = true
      continue
    }
    const raw = part
      .slice(eq + 1)
      .trim()
      .replace(/^"|"$/g, '')
    const n = Number(raw)
    out[name] = /^\d+$/.test(raw) && Number.isFinite(n) ? n : raw.split(/\s*,\s*/)
  }
  return out as CacheControlDirectives
}
