import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { capture, eventually, freePort, startHttpServer, type TestServer } from '@hotpath/test-helpers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  createHttpClient,
  type HttpClient,
  HttpError,
  InvalidOptionError,
  type RequestEvent,
  type RetryEvent,
} from '../src/index.ts'
import { codeOf, fakeTimeouts, manualClock } from './helpers.ts'

const servers: TestServer[] = []
const clients: HttpClient[] = []
afterEach(async () => {
  vi.useRealTimers()
  await Promise.all(clients.splice(0).map((c) => c.close()))
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

async function server(handler: (req: IncomingMessage, res: ServerResponse) => unknown): Promise<TestServer> {
  const s = await startHttpServer(async (req, res) => {
    await handler(req, res)
  })
  servers.push(s)
  return s
}
function client(options: Parameters<typeof createHttpClient>[0] = {}): HttpClient {
  const c = createHttpClient({ cache: false, ...options })
  clients.push(c)
  return c
}

describe('options and input validation', () => {
  it('rejects bad options at construction, naming option, value and what is allowed', () => {
    expect(() => createHttpClient({ connections: -1 })).toThrowError(
      'invalid option "connections": received -1, expected an integer >= 1',
    )
    expect(() => createHttpClient({ maxInFlight: 0 })).toThrowError(/"maxInFlight": received 0/)
    expect(() => createHttpClient({ rateLimit: { rps: -5 } })).toThrowError(/"rateLimit.rps": received -5/)
    expect(() => createHttpClient({ rateLimit: {} as never })).toThrowError(/"rateLimit.rps"/)
    expect(() => createHttpClient({ breaker: { threshold: 0 } })).toThrowError(/"breaker.threshold"/)
    expect(() => createHttpClient({ breaker: { halfOpenAfter: 0 } })).toThrowError(/"breaker.halfOpenAfter"/)
    expect(() => createHttpClient({ origin: 'ftp://x' })).toThrowError(/"origin"/)
    expect(() => createHttpClient({ retry: { retries: -1 } })).toThrowError(/"retry.retries"/)
    expect(() => createHttpClient({ retry: { retry: 1 } as never })).toThrowError(
      /"retry.retry".*no such option/,
    )
    expect(() => createHttpClient({ invalidate: 'all' as never })).toThrowError(/"invalidate"/)
    expect(() => createHttpClient({ clock: { now: () => 0 } as never })).toThrowError(/"clock"/)
    expect(() => createHttpClient({ bogus: 1 } as never)).toThrowError(
      /invalid option "bogus".*no such option/,
    )
    // renamed in 0.x: the error names the new option
    expect(() => createHttpClient({ maxConnections: 5 } as never)).toThrowError(
      /"maxConnections".*renamed to "maxInFlight"/,
    )
    expect(() => createHttpClient({ breaker: { resetTimeout: 5 } as never })).toThrowError(
      /"breaker.resetTimeout".*renamed to "halfOpenAfter"/,
    )
    // every bad option is core's InvalidOptionError with the http code
    expect(() => createHttpClient({ headersTimeout: -10 })).toThrowError(InvalidOptionError)
    expect(() => createHttpClient({ headersTimeout: -10 })).toThrowError(
      expect.objectContaining({
        code: 'HOTPATH_HTTP_INVALID_OPTION',
        details: { option: 'headersTimeout', received: -10, expected: 'an integer >= 1' },
      }),
    )
  })

  it('rejects bad requests with coded errors and never sends them', async () => {
    const s = await server((_req, res) => res.end('ok'))
    const c = client()
    expect(await codeOf(c.request('not a url'))).toBe('HOTPATH_HTTP_INVALID_URL')
    expect(await codeOf(c.request('/relative'))).toBe('HOTPATH_HTTP_INVALID_URL')
    expect(await codeOf(c.request('ftp://127.0.0.1/file'))).toBe('HOTPATH_HTTP_UNSUPPORTED_PROTOCOL')
    expect(await codeOf(c.request({ url: `${s.origin}/x`, method: 'GET', body: 'nope' }))).toBe(
      'HOTPATH_HTTP_BODY_NOT_ALLOWED',
    )
    expect(await codeOf(c.request({ url: `${s.origin}/x`, headersTimeout: -1 }))).toBe(
      'HOTPATH_HTTP_INVALID_REQUEST',
    )
    expect(await codeOf(c.request({ url: `${s.origin}/x`, method: 'BAD METHOD' }))).toBe(
      'HOTPATH_HTTP_INVALID_REQUEST',
    )
    expect(s.requests).toBe(0)
    expect(c.stats().errors.HOTPATH_HTTP_INVALID_URL).toBe(2)
  })
})

describe('request / response', () => {
  it('returns status, headers, json/text/arrayBuffer; non-2xx resolves', async () => {
    const s = await server((req, res) => {
      if (req.url === '/missing') {
        res.writeHead(404, { 'content-type': 'text/plain' })
        return res.end('nope')
      }
      if (req.method === 'POST') {
        let body = ''
        req.on('data', (c) => (body += c))
        req.on('end', () =>
          res.end(JSON.stringify({ got: JSON.parse(body), ct: req.headers['content-type'] })),
        )
        return
      }
      res.setHeader('x-test', 'yes')
      res.end(JSON.stringify({ hello: 'world', path: req.url }))
    })
    const c = client({ origin: s.origin })
    const res = await c.request('/a?b=1')
    expect(res.statusCode).toBe(200)
    expect(res.headers['x-test']).toBe('yes')
    expect(res.cache).toBe('bypass')
    expect(await res.json()).toEqual({ hello: 'world', path: '/a?b=1' })
    expect(await res.text()).toContain('world')
    expect(new TextDecoder().decode(await res.arrayBuffer())).toContain('hello')
    const missing = await c.request(`${s.origin}/missing`)
    expect(missing.statusCode).toBe(404)
    expect(await missing.text()).toBe('nope')
    const posted = await c.request({ path: '/p', method: 'post', json: { n: 1 } })
    expect(await posted.json()).toEqual({ got: { n: 1 }, ct: 'application/json' })
  })

  it('json() on invalid JSON rejects with HOTPATH_HTTP_INVALID_JSON and the SyntaxError as cause', async () => {
    const s = await server((_req, res) => res.end('{"broken":'))
    const c = client()
    const res = await c.request(`${s.origin}/`)
    const error = await res.json().catch((e: unknown) => e)
    expect((error as HttpError).code).toBe('HOTPATH_HTTP_INVALID_JSON')
    expect((error as HttpError).cause).toBeInstanceOf(SyntaxError)
  })
})

describe('upstream faults surface as coded errors with the cause', () => {
  it('truncated body (connection closed before content-length)', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-length': '100' })
      res.write('only ten b')
      setTimeout(() => res.socket?.destroy(), 20)
    })
    const c = client({ retry: false })
    const error = (await c.request(`${s.origin}/`).catch((e: unknown) => e)) as HttpError
    expect(error.code).toBe('HOTPATH_HTTP_TRUNCATED_BODY')
    expect(error.cause).toBeDefined()
  })

  it('slow headers: headersTimeout', async () => {
    const s = await server(() => {
      /* never answers */
    })
    const c = client({ retry: false, headersTimeout: 150 })
    const started = Date.now()
    expect(await codeOf(c.request(`${s.origin}/`))).toBe('HOTPATH_HTTP_HEADERS_TIMEOUT')
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('stalled body: bodyTimeout', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-length': '10' })
      res.write('abc')
    })
    const c = client({ retry: false })
    expect(await codeOf(c.request({ url: `${s.origin}/`, bodyTimeout: 150 }))).toBe(
      'HOTPATH_HTTP_BODY_TIMEOUT',
    )
  })

  it('connection refused', async () => {
    const port = await freePort()
    const c = client({ retry: false })
    const error = (await c.request(`http://127.0.0.1:${port}/`).catch((e: unknown) => e)) as HttpError
    expect(error.code).toBe('HOTPATH_HTTP_CONNECTION_FAILED')
    expect((error.cause as { code: string }).code).toBe('ECONNREFUSED')
  })

  it('server resetting the connection is retried for GET; surfaces as CONNECTION_RESET without retries', async () => {
    let n = 0
    const s = await server((req, res) => {
      n++
      if (n % 2 === 1) return req.socket.destroy()
      res.end('fine')
    })
    const c = client({ retry: { retries: 2, minDelay: 1 } })
    const res = await c.request(`${s.origin}/`)
    expect(await res.text()).toBe('fine')
    expect(res.retries).toBe(1)
    expect(c.stats().retries).toBe(1)
    const noRetry = client({ retry: false })
    expect(await codeOf(noRetry.request(`${s.origin}/`))).toBe('HOTPATH_HTTP_CONNECTION_RESET')
  })

  it('survives a server that closes keep-alive sockets behind the client', async () => {
    const sockets = new Set<Socket>()
    const raw: Server = createServer((_req, res) => {
      res.end('ok')
      // close the idle keep-alive socket shortly after answering, without telling the client
      setTimeout(() => res.socket?.destroy(), 5)
    })
    raw.on('connection', (s) => sockets.add(s))
    raw.listen(0, '127.0.0.1')
    await once(raw, 'listening')
    const origin = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`
    try {
      const c = client({ retry: { retries: 3, minDelay: 1 } })
      for (let i = 0; i < 20; i++) {
        const res = await c.request(`${origin}/${i}`)
        expect(await res.text()).toBe('ok')
        await new Promise((r) => setTimeout(r, i % 3 === 0 ? 10 : 0))
      }
    } finally {
      for (const s of sockets) s.destroy()
      await new Promise((r) => raw.close(r))
    }
  })

  it('an aborted signal rejects with HOTPATH_HTTP_ABORTED', async () => {
    const s = await server(() => {})
    const c = client()
    const ac = new AbortController()
    const p = c.request({ url: `${s.origin}/`, signal: ac.signal })
    await eventually(() => s.requests === 1, { what: 'the request to reach the server' })
    const reason = new Error('user gave up')
    ac.abort(reason)
    const error = (await p.catch((e: unknown) => e)) as HttpError
    expect(error).toBeInstanceOf(HttpError)
    expect(error.code).toBe('HOTPATH_HTTP_ABORTED')
    expect(error.cause).toBe(reason)
    // aborted before it is sent: the same coded error
    const early = await c
      .request({ url: `${s.origin}/`, signal: AbortSignal.abort() })
      .catch((e: unknown) => e)
    expect((early as HttpError).code).toBe('HOTPATH_HTTP_ABORTED')
  })
})

describe('retries', () => {
  it('honours Retry-After (seconds) on 503 and returns the final response', async () => {
    let n = 0
    const s = await server((_req, res) => {
      n++
      if (n === 1) {
        res.writeHead(503, { 'retry-after': '1' })
        return res.end('busy')
      }
      res.end('done')
    })
    fakeTimeouts()
    const c = client({ retry: { retries: 2, minDelay: 1 } })
    const retries = capture<RetryEvent>('hotpath:http:retry')
    try {
      const p = c.request(`${s.origin}/`)
      const event = await retries.next((e) => e.client === c.name)
      expect(event).toMatchObject({ attempt: 1, delayMs: 1000, reason: 'status 503' })
      await vi.advanceTimersByTimeAsync(999)
      expect(s.requests).toBe(1) // still waiting out Retry-After
      await vi.advanceTimersByTimeAsync(1)
      const res = await p
      expect(await res.text()).toBe('done')
      expect(res.retries).toBe(1)
      expect(s.requests).toBe(2)
    } finally {
      retries.stop()
    }
  })

  it('gives up after `retries` and returns the last response; backs off with jitter on 500', async () => {
    const s = await server((_req, res) => {
      res.writeHead(500)
      res.end('boom')
    })
    fakeTimeouts()
    const c = client({ retry: { retries: 2, minDelay: 100, maxDelay: 150 }, breaker: false })
    const retries = capture<RetryEvent>('hotpath:http:retry')
    const p = c.request(`${s.origin}/`)
    try {
      // backoff d = min(maxDelay, minDelay * 2^attempt), waited: random in [d/2, d]
      for (const [attempt, d] of [
        [1, 100],
        [2, 150],
      ] as const) {
        const event = await retries.next((e) => e.attempt === attempt)
        expect(event.delayMs).toBeGreaterThanOrEqual(d / 2)
        expect(event.delayMs).toBeLessThanOrEqual(d)
        await vi.advanceTimersByTimeAsync(event.delayMs)
      }
    } finally {
      retries.stop()
    }
    const res = await p
    expect(res.statusCode).toBe(500)
    expect(res.retries).toBe(2)
    expect(s.requests).toBe(3)
  })

  it('never retries a POST, unless it has an Idempotency-Key and the client opts in', async () => {
    const s = await server((_req, res) => {
      res.writeHead(503, { 'retry-after': '0' })
      res.end()
    })
    const c = client({ retry: { retries: 2, minDelay: 1 }, breaker: false })
    await c.request({ url: `${s.origin}/`, method: 'POST', body: 'x', headers: { 'Idempotency-Key': 'k1' } })
    expect(s.requests).toBe(1)
    const optIn = client({ retry: { retries: 2, minDelay: 1, withIdempotencyKey: true }, breaker: false })
    await optIn.request({ url: `${s.origin}/`, method: 'POST', body: 'x' })
    expect(s.requests).toBe(2)
    const res = await optIn.request({
      url: `${s.origin}/`,
      method: 'POST',
      body: 'x',
      headers: { 'Idempotency-Key': 'k2' },
    })
    expect(res.retries).toBe(2)
    expect(s.requests).toBe(5)
  })
})

describe('circuit breaker', () => {
  it('opens after consecutive failures, fails fast, half-opens after halfOpenAfter and closes on a good probe', async () => {
    let healthy = false
    const s = await server((_req, res) => {
      res.writeHead(healthy ? 200 : 503)
      res.end()
    })
    const clock = manualClock()
    const c = client({ retry: false, breaker: { threshold: 3, halfOpenAfter: 200 }, clock, name: 'breaker' })
    const events = capture<{ client: string; state: string }>('hotpath:http:breaker')
    try {
      for (let i = 0; i < 3; i++) expect((await c.request(`${s.origin}/`)).statusCode).toBe(503)
      expect(c.stats().breakers[s.origin]).toBe('open')
      expect(await codeOf(c.request(`${s.origin}/`))).toBe('HOTPATH_HTTP_CIRCUIT_OPEN')
      clock.advance(199)
      const error = await c.request(`${s.origin}/`).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'HOTPATH_HTTP_CIRCUIT_OPEN', details: { retryInMs: 1 } })
      expect(s.requests).toBe(3)
      clock.advance(1)
      // probe fails -> open again
      expect((await c.request(`${s.origin}/`)).statusCode).toBe(503)
      expect(c.stats().breakers[s.origin]).toBe('open')
      clock.advance(200)
      healthy = true
      expect((await c.request(`${s.origin}/`)).statusCode).toBe(200)
      expect(c.stats().breakers[s.origin]).toBe('closed')
      const states = events.messages.filter((m) => m.client === 'breaker').map((m) => m.state)
      expect(states).toEqual(['open', 'half-open', 'open', 'half-open', 'closed'])
    } finally {
      events.stop()
    }
  })
})

describe('rate limiting', () => {
  it('queues requests beyond the bucket instead of failing; a full queue is a coded error', async () => {
    const s = await server((_req, res) => res.end('ok'))
    const clock = manualClock()
    const c = client({ name: 'limited', clock, rateLimit: { rps: 20, burst: 2, maxQueue: 10 } })
    const waits = capture<{ client: string; waitMs: number }>('hotpath:http:ratelimit')
    try {
      const all = Promise.all(Array.from({ length: 6 }, (_, i) => c.request({ url: `${s.origin}/${i}` })))
      // 2 go at once (burst), 4 wait; each 50 ms of the clock (20/s) lets exactly one more go
      expect(c.stats().rateLimitWaits).toBe(4)
      await eventually(() => s.requests === 2, { what: 'the burst' })
      for (let released = 1; released <= 4; released++) {
        clock.advance(50)
        await eventually(() => waits.messages.filter((m) => m.client === 'limited').length === released, {
          what: `waiter ${released}`,
        })
      }
      const results = await all
      expect(results.every((r) => r.statusCode === 200)).toBe(true)
      expect(waits.messages.filter((m) => m.client === 'limited').map((m) => m.waitMs)).toEqual([
        50, 100, 150, 200,
      ])
    } finally {
      waits.stop()
    }
    const tight = client({ clock, rateLimit: { rps: 1, burst: 1, maxQueue: 1, maxWait: 5_000 } })
    const first = tight.request(`${s.origin}/a`)
    const second = tight.request(`${s.origin}/b`)
    expect(await codeOf(tight.request(`${s.origin}/c`))).toBe('HOTPATH_HTTP_RATE_LIMIT_QUEUE_FULL')
    await first
    await tight.close()
    expect(await codeOf(second)).toBe('HOTPATH_HTTP_CLOSED')
  })
})

describe('batching', () => {
  it('returns settled results in input order; one failure never sinks the others', async () => {
    const s = await server(async (req, res) => {
      const n = Number(req.url?.slice(1))
      await new Promise((r) => setTimeout(r, (10 - n) * 3))
      if (n === 3) {
        res.writeHead(404)
        return res.end()
      }
      res.end(String(n))
    })
    const port = await freePort()
    const c = client({ retry: false })
    const progress: number[] = []
    const inputs = Array.from({ length: 10 }, (_, i) => `${s.origin}/${i}`)
    inputs[5] = `http://127.0.0.1:${port}/refused`
    inputs[7] = 'not a url'
    const results = await c.batch(inputs, { concurrency: 3, onProgress: (p) => progress.push(p.done) })
    expect(results).toHaveLength(10)
    for (let i = 0; i < 10; i++) {
      const r = results[i]
      if (i === 5) expect(r?.status === 'rejected' && r.reason.code).toBe('HOTPATH_HTTP_CONNECTION_FAILED')
      else if (i === 7) expect(r?.status === 'rejected' && r.reason.code).toBe('HOTPATH_HTTP_INVALID_URL')
      else if (i === 3) expect(r?.status === 'fulfilled' && r.value.statusCode).toBe(404)
      else expect(r?.status === 'fulfilled' && (await r.value.text())).toBe(String(i))
    }
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
  })

  it('respects concurrency and delayBetweenBatches', async () => {
    const s = await server((_req, res) => res.end())
    fakeTimeouts()
    const c = client()
    const done: number[] = []
    const p = c.batch(
      Array.from({ length: 6 }, (_, i) => `${s.origin}/${i}`),
      { concurrency: 2, delayBetweenBatches: 50, onProgress: (x) => done.push(x.done) },
    )
    for (const batch of [1, 2]) {
      await eventually(() => done.length === batch * 2, { what: `batch ${batch}` })
      await vi.advanceTimersByTimeAsync(49)
      expect(s.requests).toBe(batch * 2) // the next batch waits out the pause
      await vi.advanceTimersByTimeAsync(1)
    }
    const results = await p
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true)
    expect(s.requests).toBe(6)
    await expect(c.batch([], { concurrency: 0 })).rejects.toThrowError(/"concurrency"/)
    await expect(c.batch([], { concurency: 2 } as never)).rejects.toThrowError(InvalidOptionError)
  })
})

describe('coalescing, pooling, stats, diagnostics, close', () => {
  it('1,000 concurrent identical GETs make one upstream request', async () => {
    const s = await server(async (_req, res) => {
      await new Promise((r) => setTimeout(r, 50))
      res.end('shared')
    })
    const c = client()
    const all = await Promise.all(Array.from({ length: 1000 }, () => c.request(`${s.origin}/same`)))
    expect(s.requests).toBe(1)
    expect(all.every((r) => r.body.toString() === 'shared')).toBe(true)
    expect(c.stats().coalesced).toBe(999)
  })

  it('caps requests in flight at maxInFlight and reports pool stats', async () => {
    let active = 0
    let peak = 0
    const s = await server(async (_req, res) => {
      active++
      peak = Math.max(peak, active)
      await new Promise((r) => setTimeout(r, 30))
      active--
      res.end()
    })
    const c = client({ maxInFlight: 2, connections: 10 })
    await Promise.all(Array.from({ length: 8 }, (_, i) => c.request(`${s.origin}/${i}`)))
    expect(peak).toBe(2)
    const stats = c.stats()
    expect(stats.kind).toBe('http')
    expect(stats.requests).toBe(8)
    expect(stats.pool.connected).toBeGreaterThanOrEqual(1)
    expect(stats.pool).toHaveProperty('free')
    expect(stats.pool).toHaveProperty('pending')
    expect(stats.pool).toHaveProperty('running')
  })

  it('publishes hotpath:http:request with method, origin, status, duration and cache outcome', async () => {
    const s = await server((_req, res) => res.end('x'))
    const c = client({ name: 'diag' })
    const requests = capture<RequestEvent>('hotpath:http:request')
    try {
      await c.request(`${s.origin}/p?secret=1`)
      await c.request(`http://127.0.0.1:${await freePort()}/`).catch(() => {})
    } finally {
      requests.stop()
    }
    const events = requests.messages.filter((e) => e.client === 'diag')
    expect(events[0]).toMatchObject({
      client: 'diag',
      method: 'GET',
      origin: s.origin,
      path: '/p',
      statusCode: 200,
      cache: 'bypass',
      retries: 0,
    })
    expect(typeof events[0]?.durationMs).toBe('number')
    expect(events[1]).toMatchObject({ error: { code: 'HOTPATH_HTTP_CONNECTION_FAILED' } })
  })

  it('close() is idempotent, waits for in-flight work and rejects new work with HOTPATH_HTTP_CLOSED', async () => {
    const s = await server(async (_req, res) => {
      await new Promise((r) => setTimeout(r, 50))
      res.end('late')
    })
    const c = createHttpClient({ cache: false })
    const inflight = c.request(`${s.origin}/`)
    await eventually(() => s.requests === 1, { what: 'the request to be in flight' })
    const p1 = c.close()
    const p2 = c.close()
    expect(p1).toBe(p2)
    expect(await (await inflight).text()).toBe('late')
    await p1
    expect(await codeOf(c.request(`${s.origin}/`))).toBe('HOTPATH_HTTP_CLOSED')
    await expect(c.batch([])).rejects.toBeInstanceOf(HttpError)
    await c[Symbol.asyncDispose]()
  })
})
