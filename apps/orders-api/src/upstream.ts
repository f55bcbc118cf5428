// A stand-in for a slow third-party API (exchange rates): fixed latency, cacheable responses.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Upstream {
  readonly origin: string
  /** Requests that reached the upstream: what the HTTP cache and coalescing save. */
  readonly requests: number
  close(): Promise<void>
}

const rates: Record<string, number> = { EUR: 0.92, GBP: 0.79, JPY: 151.3, USD: 1 }

export async function startUpstream(latencyMs = 15, maxAgeSeconds = 60): Promise<Upstream> {
  let requests = 0
  const server: Server = createServer((req, res) => {
    requests++
    const currency = (req.url ?? '').split('/').pop()?.toUpperCase() ?? ''
    setTimeout(() => {
      const rate = rates[currency]
      if (rate === undefined) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"unknown currency"}')
        return
      }
      res.writeHead(200, {
        'content-type': 'application/json',
        'cache-control': `public, max-age=${maxAgeSeconds}`,
      })
      res.end(JSON.stringify({ base: 'USD', currency, rate }))
    }, latencyMs)
  })
  server.keepAliveTimeout = 10_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    get requests() {
      return requests
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
