// Collection invalidation (`invalidate: 'collection'`): a successful write drops every cached GET under its
// collection before the write's response is handed on, so the caller's next read sees the change.
// (`'path'`, the default, needs no interceptor: undici's cache drops the written URL itself.)
import { optionChecks } from '@hotpath/core'
import { collectionOf } from '../keys.ts'
import type { ResponseHeaders } from '../response.ts'
import type { HotpathCacheStore } from '../store.ts'
import { type Controller, type Dispatch, StatusForward, type Handler, originOf } from './forward.ts'

const check = optionChecks('HOTPATH_HTTP_INVALID_OPTION')
const WRITE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** The invalidation policy, or undefined when nothing beyond undici's own is to do. Validates `invalidate`. */
export function invalidateInterceptor(
  invalidate: 'path' | 'collection' | undefined,
  store: HotpathCacheStore | undefined,
): ((dispatch: Dispatch) => Dispatch) | undefined {
  const mode = check.oneOf('invalidate', invalidate, ['path', 'collection'], 'path')
  if (mode !== 'collection' || store === undefined) return undefined
  return (dispatch) =>
    function invalidateCollection(opts, handler) {
      if (!WRITE_METHODS.has(opts.method)) return dispatch(opts, handler)
      const prefix = collectionOf(opts.method, opts.path)
      return dispatch(opts, new InvalidateHandler(handler, store, originOf(opts), prefix))
    }
}

class InvalidateHandler extends StatusForward {
  readonly #store: HotpathCacheStore
  readonly #origin: string
  readonly #prefix: string

  constructor(next: Handler, store: HotpathCacheStore, origin: string, prefix: string) {
    super(next)
    this.#store = store
    this.#origin = origin
    this.#prefix = prefix
  }

  override onResponseEnd(controller: Controller, trailers: ResponseHeaders): void {
    if (this.status < 200 || this.status >= 400) {
      super.onResponseEnd(controller, trailers)
      return
    }
    // a failing cache must not fail the write: the response is handed on either way
    const done = (): void => super.onResponseEnd(controller, trailers)
    this.#store.invalidatePrefix(this.#origin, this.#prefix).then(done, done)
  }
}
