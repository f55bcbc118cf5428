// Canonical origins, looked up by the origin string as the caller wrote it, so the hot path needs no URL parse.
// (The per-origin policies, breaker and rate limit, keep their own state in their interceptors.)
import { InvalidRequestError } from './errors.ts'

export class Origins {
  readonly #map = new Map<string, string>()
  /** The origin string of the last lookup, as the caller wrote it (prepare() hands the same object back). */
  last: string | undefined = undefined
  #lastOrigin = ''

  /** The canonical origin (`url.origin`) of an origin string as the caller wrote it. */
  get(rawOrigin: string): string {
    if (rawOrigin === this.last) return this.#lastOrigin
    const known = this.#map.get(rawOrigin)
    if (known !== undefined) {
      this.last = rawOrigin
      this.#lastOrigin = known
      return known
    }
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
    if (this.#map.size < 10_000) this.#map.set(rawOrigin, origin)
    this.last = rawOrigin
    this.#lastOrigin = origin
    return origin
  }
}
