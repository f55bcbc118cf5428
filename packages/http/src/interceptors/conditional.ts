// Answers from a fresh stored GET response without a trip through undici's cache (which would revalidate):
// - a HEAD request gets the stored GET's status and header fields, no body (RFC 9110 9.3.2: HEAD is GET without
//   content; RFC 9111 4: a stored response may satisfy a request its method allows);
// - a conditional GET/HEAD from the caller (If-None-Match / If-Modified-Since) is evaluated against the fresh
//   entry (RFC 9111 4.3.2): 304 Not Modified when the condition fails, the stored 200 otherwise.
// Only shared-partition entries and requests without credentials, Cache-Control, Pragma or Range.
import type { Clock } from '@hotpath/core'
import type { Dispatcher } from 'undici'
import { type ClientDispatchOptions, kCollector } from '../collector.ts'
import type { StoredResponse } from '../entries.ts'
import { hasCredentials, type HotpathCacheStore } from '../store.ts'
import type { ResponseHeaders } from '../response.ts'
import { type Dispatch, type Handler, originOf } from './forward.ts'

/** Header fields a 304 carries from the stored response (RFC 9110 15.4.5). */
const NOT_MODIFIED_FIELDS = [
  'cache-control',
  'content-location',
  'date',
  'etag',
  'expires',
  'vary',
  'last-modified',
]

type Headers = Record<string, string | string[] | undefined>

export function conditionalInterceptor(
  store: HotpathCacheStore,
  clock: Clock,
): (dispatch: Dispatch) => Dispatch {
  const credentials = store.credentialHeaders
  return (dispatch) =>
    function conditional(opts: ClientDispatchOptions, handler) {
      const method = opts.method
      if (method !== 'GET' && method !== 'HEAD') return dispatch(opts, handler)
      const headers = opts.headers as Headers | undefined
      const inm = headers?.['if-none-match']
      const ims = headers?.['if-modified-since']
      if (method === 'GET' && inm === undefined && ims === undefined) return dispatch(opts, handler)
      if (
        opts[kCollector]?.req.noCache === true ||
        (headers !== undefined &&
          (headers['cache-control'] !== undefined ||
            headers.pragma !== undefined ||
            headers.range !== undefined ||
            hasCredentials(headers, credentials)))
      )
        return dispatch(opts, handler)
      const origin = originOf(opts)
      const entry = store.peekFresh(origin, opts.path, headers)
      if (entry === undefined) return dispatch(opts, handler)
      const age = String(Math.max(0, Math.round((clock.epoch() - entry.cachedAt) / 1000)))
      // preconditions apply only where the response would be a 2xx (RFC 9110 13.2.1)
      if (entry.statusCode >= 200 && entry.statusCode < 300 && notModified(entry, inm, ims)) {
        const out: ResponseHeaders = { age }
        for (const name of NOT_MODIFIED_FIELDS) {
          const v = entry.headers[name]
          if (v !== undefined) out[name] = v
        }
        answer(handler, 304, 'Not Modified', out, undefined)
      } else {
        answer(
          handler,
          entry.statusCode,
          entry.statusMessage,
          { ...entry.headers, age },
          method === 'HEAD' ? undefined : entry.body,
        )
      }
      return true
    }
}

/** The request's condition evaluated on the stored response: true when the caller's copy is current. */
function notModified(entry: StoredResponse, inm: Headers[string], ims: Headers[string]): boolean {
  if (inm !== undefined) {
    // If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2); weak comparison (13.1.2)
    const etag = entry.etag ?? (entry.headers.etag as string | undefined)
    const value = Array.isArray(inm) ? inm.join(',') : inm
    if (value.trim() === '*') return true
    if (etag === undefined) return false
    const mine = opaque(etag)
    return value.split(',').some((tag) => opaque(tag.trim()) === mine)
  }
  if (ims === undefined || Array.isArray(ims)) return false
  const since = Date.parse(ims)
  if (Number.isNaN(since)) return false
  const lm = entry.headers['last-modified']
  // without Last-Modified, the Date of the stored response (RFC 9111 4.3.2)
  const modified = Date.parse(String(lm ?? entry.headers.date ?? ''))
  return !Number.isNaN(modified) && modified <= since
}

function opaque(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag
}

/** Plays a response to the handler, as undici's cache does for a stored one. */
function answer(
  handler: Handler,
  status: number,
  message: string,
  headers: ResponseHeaders,
  body: Buffer | undefined,
): void {
  let aborted = false
  let reason: Error | null = null
  const controller: Dispatcher.DispatchController = {
    get aborted() {
      return aborted
    },
    get reason() {
      return reason
    },
    get paused() {
      return false
    },
    pause() {},
    resume() {},
    abort(why: Error) {
      if (aborted) return
      aborted = true
      reason = why
      handler.onResponseError?.(controller, why)
    },
  }
  try {
    handler.onRequestStart?.(controller, null)
    if (aborted) return
    handler.onResponseStart?.(controller, status, headers as never, message)
    if (aborted) return
    if (body !== undefined && body.byteLength > 0) handler.onResponseData?.(controller, body)
    if (aborted) return
    handler.onResponseEnd?.(controller, {})
  } catch (error) {
    if (!aborted) handler.onResponseError?.(controller, error as Error)
  }
}
