// Issue 18, "policies as interceptors": the client composes undici interceptors; yours run outermost.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { eventually, startHttpServer, type TestServer } from '@hotpath/test-helpers'
import type { Dispatcher } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createHttpClient,
  type HttpClient,
  type HttpClientOptions,
  InvalidOptionError,
} from '../src/index.ts'
import { codeOf, manualClock } from './helpers.ts'

const servers: TestServer[] = []
const clients: HttpClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
  await Promise.all(servers.splice(0).map((s) => s.close()))
})
async function server(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const s = await startHttpServer(async (req, res) => handler(req, res))
  servers.push(s)
  return s
}
function client(options: HttpClientOptions): HttpClient {
  const c = createHttpClient(options)
  clients.push(c)
  return c
}

/** An interceptor that records what it sees and adds a header (the shape of undici's lib/interceptor/*.js). */
function tagging(seen: string[]): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) => {
    seen.push(`${opts.method} ${opts.path}`)
    const headers = { ...(opts.headers as Record<string, string> | undefined), 'x-tag': 'mine' }
    return dispatch({ ...opts, headers }, handler)
  }
}

describe('the order of the policies', () => {
  it('a response the cache answers takes no rate-limit token (rate limit inside the cache)', async () => {
    let calls = 0
    const s = await server((_req, res) => {
      calls++
      res.setHeader('cache-control', 'max-age=60')
      res.end('cached')
    })
    const clock = manualClock()
    // one token, never refilled (time stands still), nobody may wait
    const c = client({ clock, rateLimit: { rps: 0.001, burst: 1, maxQueue: 0 }, retry: false })
    await c.request(`${s.origin}/a`)
    await eventually(() => (c.store?.stats().pendingWrites ?? 0) === 0, { what: 'the cache write' })
    // a request header keeps it off the L1 fast path: undici's cache interceptor answers it
    const hit = await c.request({ url: `${s.origin}/a`, headers: { 'cache-control': 'max-stale=5' } })
    expect(hit.cache).toBe('hit')
    expect(await codeOf(c.request(`${s.origin}/b`))).toBe('HOTPATH_HTTP_RATE_LIMIT_QUEUE_FULL')
    expect(calls).toBe(1)
  })
})

describe('user interceptors', () => {
  it('see every request once (before the cache, whatever the retries) and can change it', async () => {
    let calls = 0
    const s = await server((req, res) => {
      calls++
      if (req.url === '/flaky' && calls === 1) {
        res.writeHead(503)
        res.end()
        return
      }
      res.setHeader('cache-control', 'max-age=60')
      res.end(`tag=${String(req.headers['x-tag'])}`)
    })
    const seen: string[] = []
    const c = client({ interceptors: [tagging(seen)], retry: { retries: 1, minDelay: 1 } })
    const first = await c.request(`${s.origin}/flaky`)
    expect(first.statusCode).toBe(200)
    expect(first.retries).toBe(1)
    expect(first.body.toString()).toBe('tag=mine') // the origin got the header the interceptor added
    await eventually(() => (c.store?.stats().pendingWrites ?? 0) === 0, { what: 'the cache write' })
    const again = await c.request(`${s.origin}/flaky`)
    expect(again.cache).toBe('hit')
    expect(calls).toBe(2)
    // one entry per request the caller made: the retry is inside, the cache hit still passes through it
    expect(seen).toEqual(['GET /flaky', 'GET /flaky'])
  })

  it('a credential header an interceptor adds isolates like one the caller gave', async () => {
    let calls = 0
    const s = await server((req, res) => {
      calls++
      res.end(`user=${String(req.headers.authorization)}`)
    })
    const auth: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) =>
      dispatch({ ...opts, headers: { ...(opts.headers as object), authorization: 'Bearer a' } }, handler)
    const c = client({ interceptors: [auth], retry: false })
    expect((await c.request(`${s.origin}/me`)).cache).toBe('bypass')
    expect((await c.request(`${s.origin}/me`)).cache).toBe('bypass')
    expect(calls).toBe(2)
  })

  it('must be functions', () => {
    expect(() => createHttpClient({ interceptors: ['x' as never] })).toThrowError(InvalidOptionError)
    expect(() => createHttpClient({ interceptors: ['x' as never] })).toThrowError(/"interceptors"/)
  })
})
