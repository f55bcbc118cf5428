// The response a request resolves with: status, headers, cache outcome and the buffered body.
/** Response headers, lowercase names (as undici parses them). */
export type ResponseHeaders = Record<string, string | string[] | undefined>
import type { CacheOutcome } from './diagnostics.ts'
import { InvalidJsonError } from './errors.ts'

const EMPTY = Buffer.alloc(0)

export class HttpResponse {
  readonly statusCode: number
  readonly headers: ResponseHeaders
  readonly cache: CacheOutcome
  /** The whole body (already read; the request resolves after the last byte). */
  readonly body: Buffer
  /** Retries this response needed (0 when the first attempt answered). */
  retries: number

  constructor(statusCode: number, headers: ResponseHeaders, cache: CacheOutcome, body: Buffer | undefined) {
    this.statusCode = statusCode
    this.headers = headers
    this.cache = cache
    this.body = body ?? EMPTY
    this.retries = 0
  }

  /** Parses the body as JSON; rejects with HOTPATH_HTTP_INVALID_JSON (cause: the SyntaxError). */
  json<T = unknown>(): Promise<T> {
    try {
      return Promise.resolve(JSON.parse(this.body.toString('utf8')) as T)
    } catch (error) {
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
