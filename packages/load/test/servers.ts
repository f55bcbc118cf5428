// Local test targets: seeded delay distributions, a freezable server, a socket-closing server.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { startHttpServer, type TestServer } from '@hotpath/test-helpers'

/** Deterministic PRNG (mulberry32) so delay distributions are reproducible. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Waits `ms` precisely: a timer for the bulk, then a short setImmediate spin for the last millisecond. */
export function preciseDelay(ms: number): Promise<void> {
  const end = performance.now() + ms
  return new Promise((resolve) => {
    const spin = () => (performance.now() >= end ? resolve() : setImmediate(spin))
    if (ms > 2) setTimeout(spin, ms - 1.5)
    else spin()
  })
}

export interface DelayServer extends TestServer {
  /** Responses completed, by the delay the server applied. */
  readonly served: number
}

/** A server whose response delay (ms) is drawn from `delay()`. */
export async function startDelayServer(delay: () => number): Promise<DelayServer> {
  let served = 0
  const server = await startHttpServer(async (_req: IncomingMessage, res: ServerResponse) => {
    const ms = delay()
    if (ms > 0) await preciseDelay(ms)
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' })
    res.end('ok')
    served++
  })
  return Object.assign(server, {
    get served() {
      return served
    },
  }) as DelayServer
}

export interface FreezableServer extends TestServer {
  /** Holds every response until `ms` from now. */
  freeze(ms: number): void
  /** Requests that were held by a freeze. */
  readonly held: number
}

export async function startFreezableServer(): Promise<FreezableServer> {
  let frozenUntil = 0
  let held = 0
  const server = await startHttpServer(async (_req, res) => {
    const wait = frozenUntil - performance.now()
    if (wait > 0) {
      held++
      await preciseDelay(wait)
    }
    res.writeHead(200, { 'content-length': '2' })
    res.end('ok')
  })
  return Object.assign(server, {
    freeze(ms: number) {
      frozenUntil = performance.now() + ms
    },
    get held() {
      return held
    },
  }) as FreezableServer
}
