// Issue 18, "Also": what RFC 9111 allows and the client does only when asked: sharing authenticated responses,
// heuristic caching of 404/410, storing Set-Cookie in a private cache. Each with the default that does not.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { eventually, startHttpServer, type TestServer } from '@hotpath/test-helpers'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createHttpClient,
  type HttpClient,
  type HttpClientOptions,
  InvalidOptionError,
} from '../src/index.ts'

const servers: TestServer[] = []
const clients: HttpClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
  await Promise.all(servers.splice(0).map((s) => s.close()))
})
/** A server counting the requests it answered. */
async function server(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<TestServer & { calls: () => number }> {
  let calls = 0
  const s = await startHttpServer(async (req, res) => {
    calls++
    handler(req, res)
  })
  servers.push(s)
  return Object.assign(s, { calls: () => calls })
}
function client(options: HttpClientOptions = {}): HttpClient {
  const c = createHttpClient({ retry: false, ...options })
  clients.push(c)
  return c
}
async function get(c: HttpClient, url: string, headers?: Record<string, string>) {
  const res = await c.request({ url, headers })
  await eventually(() => (c.store?.stats().pendingWrites ?? 0) === 0, { what: 'the cache writes' })
  return res
}

describe('shareAuthenticated', () => {
  const origin = () =>
    server((req, res) => {
      res.setHeader('cache-control', req.url === '/must' ? 'max-age=60, must-revalidate' : 's-maxage=60')
      res.end('catalog')
    })

  it('off (default): a response to an authenticated request is not shared, even with s-maxage', async () => {
    const s = await origin()
    const c = client()
    expect((await get(c, `${s.origin}/smax`, { authorization: 'Bearer a' })).cache).toBe('bypass')
    expect((await get(c, `${s.origin}/smax`, { authorization: 'Bearer b' })).cache).toBe('bypass')
    expect((await get(c, `${s.origin}/smax`)).cache).toBe('miss')
    expect(s.calls()).toBe(3)
  })

  it('on: s-maxage and must-revalidate responses to authenticated requests are shared', async () => {
    const s = await origin()
    const c = client({ shareAuthenticated: true })
    for (const path of ['/smax', '/must']) {
      await get(c, `${s.origin}${path}`, { authorization: 'Bearer a' })
      const other = await get(c, `${s.origin}${path}`, { 'x-api-key': 'b' })
      expect(other.cache).toBe('hit')
      expect(other.body.toString()).toBe('catalog')
      expect((await get(c, `${s.origin}${path}`)).cache).toBe('hit')
    }
    expect(s.calls()).toBe(2)
  })

  it('on: a response without those directives is still not shared', async () => {
    const s = await server((_req, res) => {
      res.setHeader('cache-control', 'max-age=60')
      res.end('mine')
    })
    const c = client({ shareAuthenticated: true })
    await get(c, `${s.origin}/me`, { authorization: 'Bearer a' })
    expect((await get(c, `${s.origin}/me`, { authorization: 'Bearer b' })).cache).toBe('bypass')
    expect(s.calls()).toBe(2)
  })
})

describe('cacheNotFound', () => {
  const origin = () =>
    server((req, res) => {
      res.writeHead(req.url === '/gone' ? 410 : 404)
      res.end('nothing here')
    })

  it('off (default): 404 and 410 without explicit freshness reach the origin every time', async () => {
    const s = await origin()
    const c = client()
    for (const path of ['/missing', '/gone']) {
      await get(c, `${s.origin}${path}`)
      expect((await get(c, `${s.origin}${path}`)).cache).toBe('miss')
    }
    expect(s.calls()).toBe(4)
  })

  it('on: they are cached like a 2xx (defaultTtl)', async () => {
    const s = await origin()
    const c = client({ cacheNotFound: true })
    for (const [path, status] of [
      ['/missing', 404],
      ['/gone', 410],
    ] as const) {
      expect((await get(c, `${s.origin}${path}`)).cache).toBe('miss')
      const again = await get(c, `${s.origin}${path}`)
      expect(again.cache).toBe('hit')
      expect(again.statusCode).toBe(status)
    }
    expect(s.calls()).toBe(2)
  })
})

describe('storeSetCookie', () => {
  const origin = () =>
    server((_req, res) => {
      res.setHeader('cache-control', 'max-age=60')
      res.setHeader('set-cookie', 'session=1')
      res.end('with a cookie')
    })

  it('off (default): a Set-Cookie response is not stored, in a private cache either', async () => {
    const s = await origin()
    const c = client({ shared: false })
    await get(c, `${s.origin}/c`)
    expect((await get(c, `${s.origin}/c`)).cache).toBe('miss')
    expect(s.calls()).toBe(2)
  })

  it('on, with shared: false: stored and served with its Set-Cookie', async () => {
    const s = await origin()
    const c = client({ shared: false, storeSetCookie: true })
    await get(c, `${s.origin}/c`)
    const again = await get(c, `${s.origin}/c`)
    expect(again.cache).toBe('hit')
    expect(String(again.headers['set-cookie'])).toBe('session=1')
    expect(s.calls()).toBe(1)
  })

  it('is refused for a shared cache', () => {
    expect(() => createHttpClient({ storeSetCookie: true })).toThrowError(InvalidOptionError)
    expect(() => createHttpClient({ storeSetCookie: true })).toThrowError(/"storeSetCookie".*shared: false/)
  })
})
