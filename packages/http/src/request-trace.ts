// The context object of one traced client call (see HttpRequestTraceContext in channels.ts). Built only while
// the tracing channel has subscribers; the end-of-call fields read the result Node puts on it, so finishing a
// call costs nothing extra.
import type { CacheOutcome, HttpRequestTraceContext } from './channels.ts'
import { pathOnly } from './channels.ts'
import type { Prepared } from './prepare.ts'
import type { HttpResponse } from './response.ts'

export class RequestTrace implements HttpRequestTraceContext {
  readonly client: string
  readonly method: string
  readonly origin: string
  readonly scheme: 'http' | 'https'
  readonly host: string
  readonly port: number
  readonly path: string
  readonly target: string
  fromCache = false
  coalesced = false
  /** Headers added by subscribers at `start`, merged into the dispatched request. */
  #added: Record<string, string> | undefined = undefined
  result?: HttpResponse
  error?: unknown

  constructor(client: string, req: Prepared, origin: string) {
    this.client = client
    this.method = req.method
    this.origin = origin
    this.scheme = origin.startsWith('https:') ? 'https' : 'http'
    const authority = origin.slice(this.scheme.length + 3)
    // an IPv6 literal keeps its colons inside brackets
    const close = authority.startsWith('[') ? authority.indexOf(']') : -1
    const colon = authority.indexOf(':', close === -1 ? 0 : close)
    const host = colon === -1 ? authority : authority.slice(0, colon)
    this.host = close === -1 ? host : host.slice(1, -1)
    this.port = colon === -1 ? (this.scheme === 'https' ? 443 : 80) : Number(authority.slice(colon + 1))
    this.path = pathOnly(req.path)
    this.target = req.path
  }

  setHeader(name: string, value: string): void {
    if (typeof name !== 'string' || typeof value !== 'string') return
    this.#added ??= {}
    this.#added[name.toLowerCase()] = value
  }

  get statusCode(): number | undefined {
    return this.result?.statusCode
  }

  get cache(): CacheOutcome | undefined {
    return this.result?.cache
  }

  get retries(): number {
    return this.result?.retries ?? 0
  }

  /** The request's headers with the added ones (the request itself is left as prepared). */
  headersOf(req: Prepared): Prepared['headers'] {
    return this.#added === undefined ? req.headers : { ...req.headers, ...this.#added }
  }
}
