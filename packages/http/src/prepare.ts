// Turns request input (URL string, URL or options) into a validated request, without a full URL parse per call.
import { InvalidRequestError } from './errors.ts'

export interface RequestOptions {
  /** Absolute URL, or a path when the client has an `origin`. */
  url?: string | URL
  /** Alternative to `url`: origin + path (path may carry a query). */
  origin?: string
  path?: string
  /** Default 'GET'. */
  method?: string
  headers?: Record<string, string | string[] | undefined>
  /** Request body (not allowed on GET/HEAD). Use `json` to send JSON. */
  body?: string | Uint8Array
  /** Serialised with JSON.stringify; sets content-type: application/json. */
  json?: unknown
  signal?: AbortSignal
  headersTimeout?: number
  bodyTimeout?: number
  /** Retries for this request (overrides the client's `retry.retries`); `false` disables. */
  retry?: number | false
  /** `false` bypasses the response cache (and coalescing) for this request. */
  cache?: false
}

export type RequestInput = string | URL | RequestOptions

export interface Prepared {
  /** Origin as written by the caller (scheme://host[:port]); canonicalised per origin state. */
  rawOrigin: string
  path: string
  method: string
  headers: Record<string, string | string[] | undefined> | undefined
  body: string | Uint8Array | undefined
  signal: AbortSignal | undefined
  headersTimeout: number | undefined
  bodyTimeout: number | undefined
  retries: number | undefined
  noCache: boolean
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/**
 * `known`: an origin string an earlier request already validated. A URL starting with it gets that very string
 * object as its origin (no scan, and the origin lookup hits a string whose hash is cached).
 */
function splitUrl(
  url: string,
  base: string | undefined,
  known?: string,
): { rawOrigin: string; path: string } {
  if (known !== undefined && url.startsWith(known)) {
    const n = known.length
    if (url[n] === '/') return { rawOrigin: known, path: stripFragment(url.slice(n)) }
    if (url.length === n) return { rawOrigin: known, path: '/' }
  }
  if (url[0] === '/') {
    if (base === undefined) {
      throw new InvalidRequestError(
        'HOTPATH_HTTP_INVALID_URL',
        `invalid URL ${JSON.stringify(url)}: a path needs the client's origin option`,
      )
    }
    return { rawOrigin: base, path: stripFragment(url) }
  }
  const scheme = url.indexOf('://')
  if (scheme <= 0) {
    throw new InvalidRequestError(
      'HOTPATH_HTTP_INVALID_URL',
      `invalid URL ${JSON.stringify(url)}: expected an absolute http(s) URL`,
    )
  }
  const protocol = url.slice(0, scheme).toLowerCase()
  if (protocol !== 'http' && protocol !== 'https') {
    throw new InvalidRequestError(
      'HOTPATH_HTTP_UNSUPPORTED_PROTOCOL',
      `unsupported protocol ${JSON.stringify(`${protocol}:`)} in ${JSON.stringify(url)}: only http: and https: are supported`,
    )
  }
  // The host ends at the first / ? or #. (indexOf, not a charCodeAt loop: once a String subclass exists in the
  // process, as @redis/client defines one, V8 runs charCodeAt several times slower.)
  const end = hostEnd(url, scheme + 3)
  const rawOrigin = url.slice(0, end)
  if (end === scheme + 3)
    throw new InvalidRequestError('HOTPATH_HTTP_INVALID_URL', `invalid URL ${JSON.stringify(url)}: no host`)
  const rest = url.slice(end)
  let path = rest === '' ? '/' : rest[0] === '/' ? rest : `/${rest}`
  path = stripFragment(path)
  return { rawOrigin, path }
}

function hostEnd(url: string, from: number): number {
  let end = url.indexOf('/', from)
  if (end === -1) end = url.length
  const query = url.indexOf('?', from)
  if (query !== -1 && query < end) end = query
  const fragment = url.indexOf('#', from)
  return fragment !== -1 && fragment < end ? fragment : end
}

function stripFragment(path: string): string {
  const hash = path.indexOf('#')
  return hash === -1 ? path : path.slice(0, hash) || '/'
}

function lowerHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | string[] | undefined> {
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw new InvalidRequestError(
      'HOTPATH_HTTP_INVALID_REQUEST',
      'invalid headers: expected an object of name -> value',
    )
  }
  let out: Record<string, string | string[] | undefined> | undefined
  for (const name in headers) {
    const lower = name.toLowerCase()
    if (lower !== name && out === undefined) {
      out = {}
      for (const n in headers) {
        if (n === name) break
        out[n] = headers[n]
      }
    }
    if (out !== undefined) out[lower] = headers[name]
  }
  return out ?? headers
}

function timeout(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new InvalidRequestError(
      'HOTPATH_HTTP_INVALID_REQUEST',
      `invalid ${name}: received ${String(value)}, expected an integer > 0 (ms)`,
    )
  }
  return value
}

/** `known`: the origin string of an earlier request (see splitUrl). */
export function prepare(input: RequestInput, base: string | undefined, known?: string): Prepared {
  if (typeof input === 'string') {
    const { rawOrigin, path } = splitUrl(input, base, known)
    return {
      rawOrigin,
      path,
      method: 'GET',
      headers: undefined,
      body: undefined,
      signal: undefined,
      headersTimeout: undefined,
      bodyTimeout: undefined,
      retries: undefined,
      noCache: false,
    }
  }
  if (input instanceof URL) return prepare(input.href, base)
  if (typeof input !== 'object' || input === null) {
    throw new InvalidRequestError(
      'HOTPATH_HTTP_INVALID_URL',
      `invalid request: received ${String(input)}, expected a URL or request options`,
    )
  }
  let target: { rawOrigin: string; path: string }
  if (input.url !== undefined) {
    target = splitUrl(input.url instanceof URL ? input.url.href : String(input.url), base, known)
  } else if (input.origin !== undefined || input.path !== undefined) {
    const path = input.path ?? '/'
    if (typeof path !== 'string' || path[0] !== '/') {
      throw new InvalidRequestError(
        'HOTPATH_HTTP_INVALID_URL',
        `invalid path ${JSON.stringify(path)}: must start with '/'`,
      )
    }
    target =
      input.origin === undefined
        ? splitUrl(path, base)
        : splitUrl(String(input.origin).replace(/\/+$/, '') + path, undefined)
  } else {
    throw new InvalidRequestError(
      'HOTPATH_HTTP_INVALID_URL',
      'invalid request: no url (or origin + path) given',
    )
  }
  const method = input.method === undefined ? 'GET' : String(input.method).toUpperCase()
  if (!TOKEN.test(method))
    throw new InvalidRequestError(
      'HOTPATH_HTTP_INVALID_REQUEST',
      `invalid method ${JSON.stringify(input.method)}`,
    )
  let headers = input.headers === undefined ? undefined : lowerHeaders(input.headers)
  let body = input.body
  if (input.json !== undefined) {
    if (body !== undefined)
      throw new InvalidRequestError('HOTPATH_HTTP_INVALID_REQUEST', 'give either body or json, not both')
    try {
      body = JSON.stringify(input.json)
    } catch (error) {
      throw new InvalidRequestError(
        'HOTPATH_HTTP_INVALID_REQUEST',
        `invalid json: ${(error as Error).message} (JSON.stringify failed)`,
        { cause: error },
      )
    }
    headers = { 'content-type': 'application/json', ...headers }
  }
  if (body !== undefined && body !== null) {
    if (method === 'GET' || method === 'HEAD') {
      throw new InvalidRequestError(
        'HOTPATH_HTTP_BODY_NOT_ALLOWED',
        `a ${method} request cannot carry a body`,
      )
    }
    if (typeof body !== 'string' && !(body instanceof Uint8Array)) {
      throw new InvalidRequestError(
        'HOTPATH_HTTP_INVALID_REQUEST',
        'invalid body: expected a string or Uint8Array (use json for objects)',
      )
    }
  } else {
    body = undefined
  }
  if (input.signal !== undefined && !(input.signal instanceof AbortSignal)) {
    throw new InvalidRequestError('HOTPATH_HTTP_INVALID_REQUEST', 'invalid signal: expected an AbortSignal')
  }
  let retries: number | undefined
  if (input.retry === false) retries = 0
  else if (input.retry !== undefined) {
    if (!Number.isInteger(input.retry) || input.retry < 0) {
      throw new InvalidRequestError(
        'HOTPATH_HTTP_INVALID_REQUEST',
        `invalid retry: received ${String(input.retry)}, expected an integer >= 0 or false`,
      )
    }
    retries = input.retry
  }
  return {
    rawOrigin: target.rawOrigin,
    path: target.path,
    method,
    headers,
    body,
    signal: input.signal,
    headersTimeout: timeout('headersTimeout', input.headersTimeout),
    bodyTimeout: timeout('bodyTimeout', input.bodyTimeout),
    retries,
    noCache: input.cache === false,
  }
}
