// The Writable a store hands undici for one response: buffers the body up to maxSize, commits it once the
// stream ended, and marks the key as "being written" from end() on, so a get() issued right after waits for it.
import { Writable } from 'node:stream'

export interface EntryWriterOptions {
  /** Storage key of the entry. */
  key: string
  /** Largest body stored, bytes; a bigger one is dropped (not an error). */
  maxSize: number
  /** Storage keys whose write stream ended and whose entry is not visible yet (shared by the store's writers). */
  ending: Map<string, Promise<void>>
  /** Stores the body; calls `shown()` as soon as a get() can read it. */
  commit(body: Buffer, shown: () => void): Promise<void>
  onTooLarge(): void
  onError(): void
  /** Called once, when the write is over (stored, dropped or failed). */
  onSettled(): void
}

export function entryWriter(o: EntryWriterOptions): Writable {
  const chunks: Buffer[] = []
  let size = 0
  let tooLarge = false
  let settled = false
  let visible: (() => void) | undefined
  let ending: Promise<void> | undefined
  /** The entry is in L1 (or will never be): get() of the key stops waiting. */
  const shown = (): void => {
    if (visible === undefined) return
    visible()
    visible = undefined
    if (o.ending.get(o.key) === ending) o.ending.delete(o.key)
  }
  const settle = (): void => {
    shown()
    if (settled) return
    settled = true
    o.onSettled()
  }
  const ws = new Writable({
    write(chunk: Buffer | string, encoding, callback) {
      if (tooLarge) return callback()
      const buf = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk
      size += buf.byteLength
      if (size > o.maxSize) {
        // Not an error: an error would make undici delete the URL's other, valid entries.
        tooLarge = true
        o.onTooLarge()
        chunks.length = 0
      } else {
        chunks.push(buf)
      }
      callback()
    },
    final(callback) {
      if (tooLarge) {
        settle()
        return callback()
      }
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)
      o.commit(body, shown).then(
        () => {
          settle()
          callback()
        },
        () => {
          o.onError()
          settle()
          callback()
        },
      )
    },
    destroy(error, callback) {
      // a response that failed mid-body is dropped (never stored)
      settle()
      callback(error)
    },
  })
  // Writable calls final() a tick after end(): mark the key at end() so a get() right after waits for it.
  const end = ws.end
  ws.end = function (this: Writable, ...args: unknown[]) {
    if (ending === undefined && !settled) {
      ending = new Promise<void>((resolve) => {
        visible = resolve
      })
      o.ending.set(o.key, ending)
    }
    return (end as (...a: unknown[]) => Writable).apply(this, args)
  } as Writable['end']
  return ws
}
