// The same mechanism @hotpath/http uses for an uncached request: an undici DispatchHandler that
// buffers the body and settles one promise. Raw undici `dispatch` with it is the fair anchor
// (undici's `request()` builds a stream per response, which costs far more CPU).
import type { Dispatcher } from 'undici'

export interface Buffered {
  status: number
  body: Buffer
}

class BufferingHandler implements Dispatcher.DispatchHandler {
  status = 0
  #chunks: Buffer[] = []
  readonly resolve: (value: Buffered) => void
  readonly reject: (error: Error) => void
  constructor(resolve: (value: Buffered) => void, reject: (error: Error) => void) {
    this.resolve = resolve
    this.reject = reject
  }
  onRequestStart(): void {}
  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode
  }
  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#chunks.push(chunk)
  }
  onResponseEnd(): void {
    const body = this.#chunks.length === 1 ? (this.#chunks[0] as Buffer) : Buffer.concat(this.#chunks)
    this.resolve({ status: this.status, body })
  }
  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.reject(error)
  }
}

/** GET `path` of `origin` through `dispatcher.dispatch` with a buffering handler. */
export function dispatchGet(dispatcher: Dispatcher, origin: string, path: string): Promise<Buffered> {
  return new Promise((resolve, reject) => {
    dispatcher.dispatch({ origin, path, method: 'GET', headers: {} }, new BufferingHandler(resolve, reject))
  })
}
