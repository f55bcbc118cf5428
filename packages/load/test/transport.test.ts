// Both transports against the same targets: the raw HTTP/1.1 parser's edge cases and undici parity.
import { once } from 'node:events'
import { createServer, type Server, type Socket } from 'node:net'
import { startHttpServer, type TestServer } from '@hotpath/test-helpers'
import { afterEach, describe, expect, it } from 'vitest'
import { runLoad } from '../src/run.ts'

let server: TestServer | undefined
let raw: Server | undefined
const sockets = new Set<Socket>()
afterEach(async () => {
  await server?.close()
  server = undefined
  for (const s of sockets) s.destroy()
  sockets.clear()
  if (raw) await new Promise((resolve) => raw!.close(resolve))
  raw = undefined
})

/** A TCP server that answers every request head with `reply` (raw bytes), then optionally closes. */
async function rawServer(reply: string, close = false): Promise<string> {
  raw = createServer((socket) => {
    sockets.add(socket)
    let buf = ''
    socket.on('data', (d) => {
      buf += d.toString('latin1')
      while (buf.includes('\r\n\r\n')) {
        buf = buf.slice(buf.indexOf('\r\n\r\n') + 4)
        if (close) socket.end(reply)
        else socket.write(reply)
      }
    })
    socket.on('error', () => {})
  })
  raw.listen(0, '127.0.0.1')
  await once(raw, 'listening')
  const address = raw.address() as { port: number }
  return `http://127.0.0.1:${address.port}/`
}

for (const transport of ['raw', 'undici'] as const) {
  describe(`transport ${transport}`, () => {
    it('chunked bodies: bytes counted, bodyContains across chunks', async () => {
      server = await startHttpServer(async (_req, res) => {
        res.write('hello ')
        await new Promise((r) => setTimeout(r, 1))
        res.write('chunked ')
        res.end('world')
      })
      const r = await runLoad({
        url: server.origin,
        transport,
        amount: 20,
        connections: 2,
        scenario: { requests: [{ path: '/', expect: { bodyContains: 'chunked world' } }] },
      })
      expect(r.errors).toEqual({})
      expect(r.requests.ok).toBe(20)
      expect(r.throughput.bytes).toBe(20 * 'hello chunked world'.length)
    })

    it('a 1 MB body arriving in many reads', async () => {
      const body = Buffer.alloc(1 << 20, 'x')
      server = await startHttpServer((_req, res) => {
        res.setHeader('content-length', body.length)
        res.end(body)
      })
      const r = await runLoad({ url: server.origin, transport, amount: 5, connections: 1 })
      expect(r.errors).toEqual({})
      expect(r.throughput.bytes).toBe(5 * body.length)
    })

    it('HEAD, 204 and 304 responses have no body', async () => {
      server = await startHttpServer((req, res) => {
        if (req.url === '/204') res.writeHead(204).end()
        else if (req.url === '/304') res.writeHead(304).end()
        else {
          res.setHeader('content-length', '5')
          res.end(req.method === 'HEAD' ? undefined : 'hello')
        }
      })
      const r = await runLoad({
        url: server.origin,
        transport,
        amount: 30,
        connections: 1,
        scenario: {
          requests: [
            {
              sequence: [
                { method: 'HEAD', path: '/' },
                { path: '/204', expect: { status: 204 } },
                { path: '/304', expect: { status: 304 } },
              ],
            },
          ],
        },
      })
      expect(r.errors).toEqual({})
      expect(r.statusCodes).toEqual({ '200': 30, '204': 30, '304': 30 })
      expect(server.requests).toBe(90)
    })

    it('POST bodies are sent with their length', async () => {
      const seen: string[] = []
      server = await startHttpServer(async (req, res) => {
        let body = ''
        for await (const c of req) body += c
        seen.push(`${req.headers['content-length']}:${body}`)
        res.end('ok')
      })
      const r = await runLoad({
        url: server.origin,
        transport,
        method: 'POST',
        body: 'héllo',
        amount: 3,
        connections: 1,
      })
      expect(r.errors).toEqual({})
      expect(seen).toEqual(['6:héllo', '6:héllo', '6:héllo'])
    })

    it('pipelining: several requests in flight per connection', async () => {
      server = await startHttpServer((_req, res) => {
        setTimeout(() => res.end('ok'), 2)
      })
      const r = await runLoad({ url: server.origin, transport, connections: 2, pipelining: 4, amount: 400 })
      expect(r.errors).toEqual({})
      expect(r.requests.ok).toBe(400)
      expect(server.requests).toBe(400)
    })
  })
}

describe('raw transport: protocol edge cases', () => {
  it('a body delimited by connection close', async () => {
    const url = await rawServer('HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil close', true)
    const r = await runLoad({ url, amount: 5, connections: 1 })
    expect(r.errors).toEqual({})
    expect(r.requests.ok).toBe(5)
    expect(r.throughput.bytes).toBe(5 * 'until close'.length)
  })

  it('header names and tokens are case-insensitive', async () => {
    const chunked = await rawServer(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
    )
    const a = await runLoad({ url: chunked, amount: 3, connections: 1 })
    expect(a.errors).toEqual({})
    expect(a.throughput.bytes).toBe(6)
    await new Promise((resolve) => raw!.close(resolve))
    for (const s of sockets) s.destroy()
    const length = await rawServer(
      'HTTP/1.1 201 Created\r\nX-Other: 1\r\nCONTENT-LENGTH:   4\r\nConnection: Keep-Alive, Close\r\n\r\nabcd',
      true,
    )
    const b = await runLoad({ url: length, amount: 3, connections: 1 })
    expect(b.errors).toEqual({})
    expect(b.statusCodes).toEqual({ '201': 3 })
    expect(b.throughput.bytes).toBe(12)
  })

  it('interim 100 Continue responses are skipped', async () => {
    const url = await rawServer('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')
    const r = await runLoad({ url, amount: 5, connections: 1 })
    expect(r.errors).toEqual({})
    expect(r.statusCodes).toEqual({ '200': 5 })
  })

  it('chunk extensions and trailers are parsed', async () => {
    const url = await rawServer(
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nx-trailer: 1\r\n\r\n',
    )
    const r = await runLoad({ url, amount: 5, connections: 1 })
    expect(r.errors).toEqual({})
    expect(r.throughput.bytes).toBe(15)
  })

  it('a garbage response is an error, not a hang', async () => {
    const url = await rawServer('SSH-2.0-OpenSSH\r\n\r\n')
    const started = performance.now()
    const r = await runLoad({ url, connections: 1, duration: 300 })
    expect(performance.now() - started).toBeLessThan(3000)
    expect(r.errors.HPE_INVALID_RESPONSE).toBeGreaterThan(0)
    expect(r.requests.ok).toBe(0)
  })

  it('https: the raw transport is the default (TLS, HTTP/1.1; see tls.test.ts); HTTP/2 needs undici', async () => {
    const r = await runLoad({ url: 'https://127.0.0.1:9/', amount: 3, connections: 1 })
    expect(r.options.transport).toBe('raw')
    expect(r.errors).toEqual({ ECONNREFUSED: 3 })
    const error = await runLoad({ url: 'https://127.0.0.1:9/', transport: 'raw', http2: true }).catch(
      (e: unknown) => e,
    )
    expect((error as Error).message).toContain('the raw transport speaks HTTP/1.1 only')
  })
})
