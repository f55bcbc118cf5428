// A tiny orders API for scenario tests: POST /login -> { token }, POST /orders (Bearer token) -> 201 { id } with a
// Location header, GET /orders/:id (Bearer token) -> 200 the order, or 404 for an id it never created; GET /orders
// -> 200 a list.
import { randomUUID } from 'node:crypto'
import { startHttpServer, type TestServer } from '@hotpath/test-helpers'

export interface OrdersServer extends TestServer {
  /** Every request seen: method, url, authorization header, arrival (performance.now()). */
  readonly seen: Array<{ method: string; url: string; auth: string | undefined; at: number }>
  /** Ids created so far. */
  readonly created: Set<string>
  /** Orders read back by id (200 answers). */
  readonly reads: string[]
}

export async function startOrdersServer(): Promise<OrdersServer> {
  const seen: OrdersServer['seen'] = []
  const created = new Set<string>()
  const reads: string[] = []
  const tokens = new Set<string>()
  const server = await startHttpServer(async (req, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    const auth = req.headers.authorization
    seen.push({ method: req.method!, url: req.url!, auth, at: performance.now() })
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers })
      res.end(JSON.stringify(value))
    }
    if (req.method === 'POST' && req.url === '/login') {
      const token = randomUUID()
      tokens.add(token)
      return json(200, { token, user: JSON.parse(body || '{}').user ?? null })
    }
    const authorized = auth?.startsWith('Bearer ') && tokens.has(auth.slice(7))
    if (req.method === 'POST' && req.url === '/orders') {
      if (!authorized) return json(401, { error: 'unauthorized' })
      const id = randomUUID()
      created.add(id)
      return json(
        201,
        { order: { id, items: JSON.parse(body || '{}').items ?? [] } },
        { location: `/orders/${id}` },
      )
    }
    if (req.method === 'GET' && req.url === '/orders') return json(200, { orders: [...created].slice(0, 10) })
    const m = /^\/orders\/([^/?]+)(?:\?.*)?$/.exec(req.url ?? '')
    if (req.method === 'GET' && m) {
      if (!authorized) return json(401, { error: 'unauthorized' })
      if (!created.has(m[1]!)) return json(404, { error: 'no such order' })
      reads.push(m[1]!)
      return json(200, { order: { id: m[1] } })
    }
    return json(404, { error: 'not found' })
  })
  return Object.assign(server, { seen, created, reads })
}
