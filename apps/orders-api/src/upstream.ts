// A stand-in for slow third-party APIs: exchange rates (`/rates/:currency`) and shipping quotes
// (`/shipping/:country`), with a configurable latency and error rate (503s), cacheable responses
// (`max-age`, `stale-if-error`). `POST /__control {latency?, errorRate?}` changes them at run time and
// `GET /__stats` counts the requests it served; neither counts as a request.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface UpstreamSettings {
  /** Delay before each answer (ms). */
  latency: number
  /** Share of requests answered 503 (0..1), drawn per request. */
  errorRate: number
  /** Freshness of the answers (s). */
  maxAge: number
}

export interface Upstream {
  readonly origin: string
  /** Requests that reached the upstream (in-process stand-in; see `count()` for both kinds). */
  readonly requests: number
  /** Requests that reached the upstream: what the HTTP cache and coalescing save. */
  count(): Promise<number>
  set(settings: Partial<UpstreamSettings>): Promise<void>
  close(): Promise<void>
}

/**
 * Default answer delay (ms). A real rates or shipping-quote API is a third party reached over the internet: tens of
 * milliseconds even on a kept-alive connection from a nearby region, carriers' rating APIs often hundreds. 50 ms is
 * the low end of that; 15 ms (the earlier default) is a service in the same datacenter.
 */
export const UPSTREAM_LATENCY = 50

const rates: Record<string, number> = { EUR: 0.92, GBP: 0.79, JPY: 151.3, USD: 1 }
const shipping: Record<string, { cents: number; days: number }> = {
  DE: { cents: 490, days: 2 },
  FR: { cents: 590, days: 3 },
  GB: { cents: 790, days: 4 },
  JP: { cents: 1990, days: 7 },
  US: { cents: 990, days: 5 },
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
}

/** The request handler, shared by the in-process and the separate-process stand-ins. */
export function upstreamHandler(settings: UpstreamSettings, counter: { requests: number }) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? ''
    if (url === '/__stats') {
      json(res, 200, { requests: counter.requests, ...settings })
      return
    }
    if (url === '/__control' && req.method === 'POST') {
      let body = ''
      req.on('data', (c) => {
        body += c
      })
      req.on('end', () => {
        const next = JSON.parse(body || '{}') as Partial<UpstreamSettings>
        Object.assign(settings, next)
        json(res, 200, settings)
      })
      return
    }
    counter.requests++
    const [, kind, key = ''] = url.split('?')[0]?.split('/') ?? []
    const fail = Math.random() < settings.errorRate
    setTimeout(() => {
      if (fail) {
        json(res, 503, { error: 'upstream failure (stand-in error rate)' })
        return
      }
      const cache = { 'cache-control': `public, max-age=${settings.maxAge}, stale-if-error=86400` }
      if (kind === 'rates' && rates[key.toUpperCase()] !== undefined)
        return json(
          res,
          200,
          { base: 'USD', currency: key.toUpperCase(), rate: rates[key.toUpperCase()] },
          cache,
        )
      if (kind === 'shipping' && shipping[key.toUpperCase()])
        return json(res, 200, { country: key.toUpperCase(), ...shipping[key.toUpperCase()] }, cache)
      json(res, 404, { error: 'unknown currency or country' })
    }, settings.latency)
  }
}

export async function listenUpstream(
  settings: UpstreamSettings,
  port = 0,
): Promise<{ server: Server; origin: string; counter: { requests: number } }> {
  const counter = { requests: 0 }
  const server = createServer(upstreamHandler(settings, counter))
  server.keepAliveTimeout = 10_000
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, counter }
}

/** The stand-in in this process (tests); `startUpstreamProcess` runs it in its own. */
export async function startUpstream(
  latency = UPSTREAM_LATENCY,
  maxAge = 60,
  errorRate = 0,
): Promise<Upstream> {
  const settings: UpstreamSettings = { latency, maxAge, errorRate }
  const { server, origin, counter } = await listenUpstream(settings)
  return {
    origin,
    get requests() {
      return counter.requests
    },
    count: async () => counter.requests,
    set: async (next) => {
      Object.assign(settings, next)
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
