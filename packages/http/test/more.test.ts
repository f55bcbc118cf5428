import type { IncomingMessage, ServerResponse } from 'node:http'
import { capture, eventually, startHttpServer, type TestServer } from '@hotpath/test-helpers'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createHttpClient,
  type HttpChannelPayloads,
  type HttpClient,
  type HttpClientOptions,
} from '../src/index.ts'
import { codeOf, manualClock } from './helpers.ts'

const servers: TestServer[] = []
const clients: HttpClient[] = []
afterEach(async () => {
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
function client(options: HttpClientOptions = {}): HttpClient {
  const c = createHttpClient(options)
  clients.push(c)
  return c
}

describe('pool options and limits', () => {
  it('HEAD, hostnames through the dns interceptor, and pipelining', async () => {
    const s = await server((req, res) => {
      res.setHeader('x-method', String(req.method))
      res.end('body')
    })
    const c = client({ pipelining: 4, connections: 2, cache: false })
    const head = await c.request({ url: `http://localhost:${s.port}/h`, method: 'HEAD' })
    expect(head.statusCode).toBe(200)
    expect(head.headers['x-method']).toBe('HEAD')
    expect(head.body.length).toBe(0)
    const many = await Promise.all(
      Array.from({ length: 20 }, (_, i) => c.request(`http://localhost:${s.port}/${i}`)),
    )
    expect(many.every((r) => r.body.toString() === 'body')).toBe(true)
    expect(c.stats().pool.connected).toBeLessThanOrEqual(2)
  })

  it('a request waiting longer than queueTimeout for a slot fails with HOTPATH_HTTP_QUEUE_TIMEOUT', async () => {
    let release!: () => void
    const held = new Promise<void>((r) => {
      release = r
    })
    const s = await server(async (_req, res) => {
      await held // the first request holds the only slot until the test lets it go
      res.end()
    })
    const c = client({ maxInFlight: 1, queueTimeout: 100, cache: false })
    const first = c.request(`${s.origin}/1`)
    expect(await codeOf(c.request(`${s.origin}/2`))).toBe('HOTPATH_HTTP_QUEUE_TIMEOUT')
    release()
    expect((await first).statusCode).toBe(200)
    expect(c.stats().errors.HOTPATH_HTTP_QUEUE_TIMEOUT).toBe(1)
  })

  it('a body over maxResponseSize fails with HOTPATH_HTTP_RESPONSE_TOO_LARGE', async () => {
    const s = await server((_req, res) => res.end(Buffer.alloc(1000)))
    const c = client({ maxResponseSize: 100, retry: false, cache: false })
    expect(await codeOf(c.request(`${s.origin}/`))).toBe('HOTPATH_HTTP_RESPONSE_TOO_LARGE')
  })
})

describe('per-origin overrides', () => {
  it('applies rateLimit / breaker overrides to one origin only; validates them', async () => {
    const slow = await server((_req, res) => res.end('slow'))
    const fast = await server((_req, res) => {
      res.writeHead(503)
      res.end()
    })
    const clock = manualClock()
    const c = client({
      cache: false,
      retry: false,
      clock,
      breaker: { threshold: 1, halfOpenAfter: 60_000 },
      perOrigin: { [slow.origin]: { rateLimit: { rps: 10, burst: 1 } }, [fast.origin]: { breaker: false } },
    })
    const all = Promise.all([1, 2, 3].map((i) => c.request(`${slow.origin}/${i}`)))
    expect(c.stats().rateLimitWaits).toBe(2) // 1 now, then 10/s
    await eventually(() => slow.requests === 1, { what: 'the first request' })
    clock.advance(100)
    await eventually(() => slow.requests === 2, { what: 'the second request' })
    clock.advance(100)
    await all
    expect(slow.requests).toBe(3)
    for (let i = 0; i < 3; i++) expect((await c.request(`${fast.origin}/`)).statusCode).toBe(503) // breaker off here
    expect(c.stats().breakers[fast.origin]).toBeUndefined()
    expect(c.stats().breakers[slow.origin]).toBe('closed')
    expect(() => createHttpClient({ perOrigin: { 'ftp://x': {} } })).toThrowError(/perOrigin\["ftp:\/\/x"\]/)
    expect(() => createHttpClient({ perOrigin: { 'http://x': { rateLimit: { rps: 0 } } } })).toThrowError(
      /perOrigin\["http:\/\/x"\].rateLimit.rps/,
    )
    expect(() => createHttpClient({ perOrigin: { 'http://x': { retries: 1 } as never } })).toThrowError(
      /retries/,
    )
  })
})

describe('diagnostics channels', () => {
  it('publishes cache hits ourselves (they never reach undici), retries and rate-limit waits', async () => {
    let n = 0
    const s = await server((req, res) => {
      if (req.url === '/flaky' && n++ === 0) {
        res.writeHead(503, { 'retry-after': '0' })
        return res.end()
      }
      res.end('ok')
    })
    // the limiter's clock moves only when told: whether a request waits for a token never depends on load
    const clock = manualClock()
    const c = client({
      name: 'diag2',
      clock,
      rateLimit: { rps: 50, burst: 1 },
      retry: { retries: 1, minDelay: 1 },
    })
    type P = HttpChannelPayloads
    const requests = capture<P['hotpath:http:request']>('hotpath:http:request')
    const retries = capture<P['hotpath:http:retry']>('hotpath:http:retry')
    const waits = capture<P['hotpath:http:ratelimit']>('hotpath:http:ratelimit')
    try {
      await c.request(`${s.origin}/cached`) // takes the only token
      await eventually(() => c.store?.stats().writes === 1, { what: 'the cache write' })
      clock.advance(10) // a hit never waits for a token
      await c.request(`${s.origin}/cached`)
      const flaky = c.request(`${s.origin}/flaky`) // half a token: waits
      expect(c.stats().rateLimitWaits).toBe(1)
      clock.advance(10)
      await eventually(() => c.stats().rateLimitWaits === 2, { what: 'the retry to wait for a token' })
      clock.advance(20)
      await flaky
    } finally {
      requests.stop()
      retries.stop()
      waits.stop()
    }
    const mine = <T extends { client: string }>(events: T[]): T[] =>
      events.filter((e) => e.client === 'diag2')
    expect(mine(requests.messages).map((e) => e.cache)).toEqual(['miss', 'hit', 'miss'])
    expect(mine(requests.messages)[1]).toMatchObject({
      client: 'diag2',
      method: 'GET',
      origin: s.origin,
      path: '/cached',
      statusCode: 200,
    })
    expect(mine(requests.messages)[2]).toMatchObject({ retries: 1, statusCode: 200 })
    expect(mine(retries.messages)[0]).toMatchObject({
      client: 'diag2',
      method: 'GET',
      attempt: 1,
      delayMs: 0,
      reason: 'status 503',
    })
    // waited from t=10 to t=20 (first try), then the retry from t=20 to t=40
    expect(mine(waits.messages).map((e) => e.waitMs)).toEqual([10, 20])
    const stats = c.stats()
    expect(stats.cache.hit).toBe(1)
    expect(stats.retries).toBe(1)
    expect(stats.rateLimitWaits).toBe(2)
  })
})

describe('close', () => {
  it('closes the cache it created; invalidation after close is a coded error; dispose works', async () => {
    const s = await server((_req, res) => res.end('x'))
    const c = createHttpClient()
    await c.request(`${s.origin}/`)
    await c[Symbol.asyncDispose]()
    await c.close()
    expect(await codeOf(c.invalidate(`${s.origin}/`))).toBe('HOTPATH_HTTP_CLOSED')
    expect(await codeOf(c.invalidateTags(['x']))).toBe('HOTPATH_HTTP_CLOSED')
    expect(await codeOf(c.request(`${s.origin}/`))).toBe('HOTPATH_HTTP_CLOSED')
  })

  it('a retry backoff does not hold close() up: the request ends with the last response', async () => {
    const s = await server((_req, res) => {
      res.writeHead(503, { 'retry-after': '20' })
      res.end()
    })
    const c = createHttpClient({
      name: 'closing',
      retry: { retries: 3, maxRetryAfter: 60_000 },
      cache: false,
    })
    const retries = capture<HttpChannelPayloads['hotpath:http:retry']>('hotpath:http:retry')
    const p = c.request(`${s.origin}/`)
    await retries.next((e) => e.client === 'closing') // in the 20 s Retry-After wait
    retries.stop()
    const started = Date.now()
    await c.close()
    const res = await p
    expect(res.statusCode).toBe(503)
    expect(Date.now() - started).toBeLessThan(2_000)
  })
})

describe('abort during a retry wait', () => {
  it('rejects with HOTPATH_HTTP_ABORTED promptly instead of waiting out Retry-After', async () => {
    const s = await server((_req, res) => {
      res.writeHead(503, { 'retry-after': '5' })
      res.end()
    })
    const c = client({ name: 'aborting', cache: false, breaker: false })
    const retries = capture<HttpChannelPayloads['hotpath:http:retry']>('hotpath:http:retry')
    const ac = new AbortController()
    const p = c.request({ url: `${s.origin}/`, signal: ac.signal })
    await retries.next((e) => e.client === 'aborting') // in the 5 s Retry-After wait
    retries.stop()
    const started = Date.now()
    ac.abort()
    expect(await codeOf(p)).toBe('HOTPATH_HTTP_ABORTED')
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(s.requests).toBe(1)
  })
})

describe('waits keep the process alive', () => {
  it('a script awaiting a request in retry backoff or a rate-limit queue does not exit early', async () => {
    let n = 0
    const s = await server((_req, res) => {
      if (n++ === 0) {
        res.writeHead(503, { 'retry-after': '1' })
        return res.end()
      }
      res.end('done')
    })
    const { spawn } = await import('node:child_process')
    const src = new URL('../src/index.ts', import.meta.url).href
    const script = `
      const { createHttpClient } = await import(${JSON.stringify(src)})
      const c = createHttpClient({ cache: false, rateLimit: { rps: 2, burst: 1 } })
      const a = await c.request('${s.origin}/a')
      const b = await c.request('${s.origin}/b')
      console.log(a.statusCode, a.retries, b.statusCode)
      await c.close()`
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    const code = await new Promise((r) => child.once('exit', r))
    expect(out.trim()).toBe('200 1 200')
    expect(code).toBe(0)
  })
})
