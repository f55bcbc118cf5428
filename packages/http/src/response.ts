// The response a request resolves with: status, headers, cache outcome and the buffered body.
import type { CacheOutcome } from './channels.ts'
import { InvalidJsonError } from './errors.ts'

/** Response headers, lowercase names (as undici parses them). */
export type ResponseHeaders = Record<string, string | string[] | undefined>

/** Where a cached response lives, so a body that turns out to be bad can be dropped (see `json()`). */
export interface CachedAt {
  delete(key: { origin: string; method: string; path: string }): unknown
}

const EMPTY = Buffer.alloc(0)

export class HttpResponse {
  readonly statusCode: number
  readonly headers: ResponseHeaders
  readonly cache: CacheOutcome
  /** The whole body (already read; the request resolves after the last byte). */
  readonly body: Buffer
  /** Retries this response needed (0 when the first attempt answered). */
  retries: number
  #store: CachedAt | undefined = undefined
  #origin = ''
  #path = ''

  constructor(statusCode: number, headers: ResponseHeaders, cache: CacheOutcome, body: Buffer | undefined) {
    this.statusCode = statusCode
    this.headers = headers
    this.cache = cache
    this.body = body ?? EMPTY
    this.retries = 0
  }

  /** @internal Links the response to the cache entry it came from or went into. */
  cachedIn(store: CachedAt, origin: string, path: string): void {
    this.#store = store
    this.#origin = origin
    this.#path = path
  }

  /**
   * Parses the body as JSON; rejects with HOTPATH_HTTP_INVALID_JSON (cause: the SyntaxError). A cached body that
   * is not JSON is dropped from the cache, so the next request asks the origin again.
   */
  json<T = unknown>(): Promise<T> {
    try {
      return Promise.resolve(JSON.parse(this.body.toString('utf8')) as T)
    } catch (error) {
      if (this.#store !== undefined) {
        try {
          this.#store.delete({ origin: this.#origin, method: 'GET', path: this.#path })
        } catch {
          // best effort
        }
      }
      return Promise.reject(new InvalidJsonError(error, this.statusCode))
    }
  }

  text(): Promise<string> {
    return Promise.resolve(this.body.toString('utf8'))
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    const { buffer, byteOffset, byteLength } = this.body
    return Promise.resolve(buffer.slice(byteOffset, byteOffset + byteLength) as ArrayBuffer)
  }
}
