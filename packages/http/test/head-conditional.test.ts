// Issue 18, "Also": HEAD is answered from a fresh cached GET, and a caller's conditional request is answered
// 304 from a fresh cached entry (RFC 9111 4, 4.3.2), against a real origin on 127.0.0.1.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { eventually, startHttpServer, type TestServer } from '@hotpath/test-helpers'
import type { Dispatcher } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { createHttpClient, type HttpClient, type HttpClientOptions } from '../src/index.ts'

const servers: TestServer[] = []
const clients: HttpClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
  await Promise.all(servers.splice(0).map((s) => s.close()))
})
const LAST_MODIFIED = 'Tue, 01 Dec 2026 10:00:00 GMT'
/** /doc: fresh for 60 s with an ETag and Last-Modified; /stale: the same, max-age=0. Counts by method + path. */
async function origin(): Promise<TestServer & { calls: string[] }> {
  const calls: string[] = []
  const s = await startHttpServer(async (req: IncomingMessage, res: ServerResponse) => {
    calls.push(`${req.method} ${req.url}`)
    res.setHeader('cache-control', req.url === '/stale' ? 'max-age=0' : 'max-age=60')
    res.setHeader('etag', '"v1"')
    res.setHeader('last-modified', LAST_MODIFIED)
    if (req.headers['if-none-match'] === '"v1"') {
      res.writeHead(304)
      res.end()
      return
    }
    res.setHeader('content-type', 'text/plain')
    res.end(req.method === 'HEAD' ? undefined : 'the document')
  })
  servers.push(s)
  return Object.assign(s, { calls })
}
function client(options: HttpClientOptions = {}): HttpClient {
  const c = createHttpClient({ retry: false, ...options })
  clients.push(c)
  return c
}
async function send(c: HttpClient, url: string, method = 'GET', headers?: Record<string, string>) {
  const res = await c.request({ url, method, headers })
  await eventually(() => (c.store?.stats().pendingWrites ?? 0) === 0, { what: 'the cache writes' })
  return res
}
/** A user interceptor that only passes requests on: with one, no request takes the client's L1 fast path. */
const passThrough: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) =>
  dispatch(opts, handler)

describe('HEAD from a cached GET', () => {
  for (const [name, options] of [
    ['fast path', {}],
    ['through the interceptors', { interceptors: [passThrough] }],
  ] as const) {
    it(`a fresh stored GET answers HEAD: its status and header fields, no body (${name})`, async () => {
      const s = await origin()
      const c = client(options)
      await send(c, `${s.origin}/doc`)
      const head = await send(c, `${s.origin}/doc`, 'HEAD')
      expect(head.cache).toBe('hit')
      expect(head.statusCode).toBe(200)
      expect(head.headers.etag).toBe('"v1"')
      expect(head.headers['content-length']).toBe('12')
      expect(head.body.byteLength).toBe(0)
      expect(s.calls).toEqual(['GET /doc'])
    })
  }

  it('without a stored GET (or with a stale one) HEAD reaches the origin', async () => {
    const s = await origin()
    const c = client()
    await send(c, `${s.origin}/other`, 'HEAD')
    await send(c, `${s.origin}/stale`)
    await send(c, `${s.origin}/stale`, 'HEAD')
    expect(s.calls).toEqual(['HEAD /other', 'GET /stale', 'HEAD /stale'])
  })
})

describe('conditional requests answered from a fresh entry', () => {
  it('If-None-Match matching the stored ETag: 304 from the cache, the origin is not asked', async () => {
    const s = await origin()
    const c = client()
    await send(c, `${s.origin}/doc`)
    for (const inm of ['"v1"', 'W/"v1"', '"v0", "v1"', '*']) {
      const res = await send(c, `${s.origin}/doc`, 'GET', { 'if-none-match': inm })
      expect(res.statusCode, inm).toBe(304)
      expect(res.cache).toBe('hit')
      expect(res.headers.etag).toBe('"v1"')
      expect(res.headers['cache-control']).toBe('max-age=60')
      expect(res.body.byteLength).toBe(0)
    }
    expect(s.calls).toEqual(['GET /doc'])
  })

  it('If-None-Match not matching: the stored 200 with its body, from the cache', async () => {
    const s = await origin()
    const c = client()
    await send(c, `${s.origin}/doc`)
    const res = await send(c, `${s.origin}/doc`, 'GET', { 'if-none-match': '"v0"' })
    expect(res.statusCode).toBe(200)
    expect(res.body.toString()).toBe('the document')
    expect(s.calls).toEqual(['GET /doc'])
  })

  it('If-Modified-Since: 304 when the entry is not newer, the 200 when it is; If-None-Match wins', async () => {
    const s = await origin()
    const c = client()
    await send(c, `${s.origin}/doc`)
    const later = await send(c, `${s.origin}/doc`, 'GET', { 'if-modified-since': LAST_MODIFIED })
    expect(later.statusCode).toBe(304)
    const earlier = await send(c, `${s.origin}/doc`, 'GET', {
      'if-modified-since': 'Mon, 30 Nov 2026 10:00:00 GMT',
    })
    expect(earlier.statusCode).toBe(200)
    expect(earlier.body.toString()).toBe('the document')
    const both = await send(c, `${s.origin}/doc`, 'GET', {
      'if-none-match': '"v0"',
      'if-modified-since': LAST_MODIFIED,
    })
    expect(both.statusCode).toBe(200)
    const head = await send(c, `${s.origin}/doc`, 'HEAD', { 'if-none-match': '"v1"' })
    expect(head.statusCode).toBe(304)
    expect(s.calls).toEqual(['GET /doc'])
  })

  it('a stale entry, or a request with credentials or Cache-Control, is not answered by the cache alone', async () => {
    const s = await origin()
    const c = client()
    await send(c, `${s.origin}/stale`)
    await send(c, `${s.origin}/doc`)
    s.calls.length = 0
    const stale = await send(c, `${s.origin}/stale`, 'GET', { 'if-none-match': '"v1"' })
    // undici's cache revalidates with its own validators and answers with the stored 200 (README: deviations)
    expect(stale.cache).toBe('revalidated')
    expect(stale.statusCode).toBe(200)
    await send(c, `${s.origin}/doc`, 'GET', { 'if-none-match': '"v1"', authorization: 'Bearer a' })
    await send(c, `${s.origin}/doc`, 'GET', { 'if-none-match': '"v1"', 'cache-control': 'no-cache' })
    expect(s.calls).toEqual(['GET /stale', 'GET /doc', 'GET /doc'])
  })
})
