// Waiting on conditions and events without guessing a sleep.
import diagnostics_channel from 'node:diagnostics_channel'
import { setTimeout as delay } from 'node:timers/promises'

/**
 * Polls `check` until it returns true; rejects after `timeoutMs` (a generous deadline, not a
 * measurement: tests must never assert on how fast a condition became true).
 */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  options: {
    timeoutMs?: number
    intervalMs?: number
    what?: string
    /** What the timeout's message should add (the state that did not become true), read when it happens. */
    onTimeout?: () => string | Promise<string>
  } = {},
): Promise<void> {
  const { timeoutMs = 10_000, intervalMs = 10, what = 'condition' } = options
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (Date.now() >= deadline) {
      const more = options.onTimeout ? ` (${await options.onTimeout()})` : ''
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${more}`)
    }
    await delay(intervalMs)
  }
}

export interface Capture<T> {
  /** Messages received so far, in order. */
  readonly messages: T[]
  /** Resolves with the first message (received from now on or already) that matches. */
  next(match?: (message: T) => boolean, timeoutMs?: number): Promise<T>
  stop(): void
}

/** Collects the messages of a diagnostics channel until stop(). */
export function capture<T = Record<string, unknown>>(name: string): Capture<T> {
  const messages: T[] = []
  const waiters = new Set<{ match: (m: T) => boolean; resolve: (m: T) => void }>()
  const listener = (message: unknown): void => {
    messages.push(message as T)
    for (const w of waiters) {
      if (w.match(message as T)) {
        waiters.delete(w)
        w.resolve(message as T)
      }
    }
  }
  diagnostics_channel.subscribe(name, listener)
  return {
    messages,
    next(match = () => true, timeoutMs = 10_000) {
      const seen = messages.find(match)
      if (seen !== undefined) return Promise.resolve(seen)
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter)
          reject(new Error(`no matching message on ${name} within ${timeoutMs} ms`))
        }, timeoutMs)
        const waiter = {
          match,
          resolve: (m: T) => {
            clearTimeout(timer)
            resolve(m)
          },
        }
        waiters.add(waiter)
      })
    },
    stop: () => {
      diagnostics_channel.unsubscribe(name, listener)
    },
  }
}
