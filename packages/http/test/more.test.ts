import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { startHttpServer, type TestServer } from '@hotpath/test-helpers'
import { afterEach, describe, expect, it } from 'vitest'
import { createHttpClient, type HttpClient, type HttpClientOptions, type HttpError } from '../src/index.ts'

const servers: TestServer[] = []
const clients: HttpClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
  await Promise.all(servers.splice(0).map((s) => s.close()))
})
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
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
function capture(channel: string): { events: Record<string, unknown>[]; stop: () => void } {
  const events: Record<string, unknown>[] = []
  const on = (m: unknown) => events.push(m as Record<string, unknown>)
  subscribe(channel, on)
  return { events, stop: () => unsubscribe(channel, on) }
}
async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    return (error as HttpError).code
  }
  throw new Error('expected a rejection')
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
    const s = await server(async (_req, res) => {
      await sleep(400)
      res.end()
    })
    const c = client({ maxConnections: 1, queueTimeout: 100, cache: false })
    const first = c.request(`${s.origin}/1`)
    expect(await codeOf(c.request(`${s.origin}/2`))).toBe('HOTPATH_HTTP_QUEUE_TIMEOUT')
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
      res.writeHead(500)
      res.end()
    })
    const c = client({
      cache: false,
      retry: false,
      breaker: { threshold: 1, resetTimeout: 60_000 },
      perOrigin: { [slow.origin]: { rateLimit: { rps: 10, burst: 1 } }, [fast.origin]: { breaker: false } },
    })
    const started = Date.now()
    await Promise.all([1, 2, 3].map((i) => c.request(`${slow.origin}/${i}`)))
    expect(Date.now() - started).toBeGreaterThanOrEqual(150) // 1 now, then 10/s
    for (let i = 0; i < 3; i++) expect((await c.request(`${fast.origin}/`)).statusCode).toBe(500) // breaker off here
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
    const c = client({ name: 'diag2', rateLimit: { rps: 50, burst: 1 }, retry: { retries: 1, minDelay: 1 } })
    const requests = capture('hotpath:http:request')
    const retries = capture('hotpath:http:retry')
    const waits = capture('hotpath:http:ratelimit')
    try {
      await c.request(`${s.origin}/cached`)
      await sleep(10)
      await c.request(`${s.origin}/cached`)
      await c.request(`${s.origin}/flaky`)
    } finally {
      requests.stop()
      retries.stop()
      waits.stop()
    }
    expect(requests.events.map((e) => e.cache)).toEqual(['miss', 'hit', 'miss'])
    expect(requests.events[1]).toMatchObject({
      client: 'diag2',
      method: 'GET',
      origin: s.origin,
      path: '/cached',
      statusCode: 200,
    })
    expect(requests.events[2]).toMatchObject({ retries: 1, statusCode: 200 })
    expect(retries.events[0]).toMatchObject({
      client: 'diag2',
      method: 'GET',
      attempt: 1,
      delayMs: 0,
      reason: 'status 503',
    })
    expect(waits.events.length).toBeGreaterThanOrEqual(1)
    expect(typeof waits.events[0]?.waitMs).toBe('number')
    const stats = c.stats()
    expect(stats.cache.hit).toBe(1)
    expect(stats.retries).toBe(1)
    expect(stats.rateLimitWaits).toBeGreaterThanOrEqual(1)
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
    const c = createHttpClient({ retry: { retries: 3, maxRetryAfter: 60_000 }, cache: false })
    const p = c.request(`${s.origin}/`)
    await sleep(50)
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
    const c = client({ cache: false, breaker: false })
    const ac = new AbortController()
    const started = Date.now()
    const p = c.request({ url: `${s.origin}/`, signal: ac.signal })
    setTimeout(() => ac.abort(), 100)
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
