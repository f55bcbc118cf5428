// Issue 18, defect 6: cache-by-default (defaultTtl) applies only where the response says nothing about freshness.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { eventually, startHttpServer, type TestServer } from '@hotpath/test-helpers'
import { afterEach, describe, expect, it } from 'vitest'
import { createHttpClient, type HttpClient } from '../src/index.ts'

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
async function get(c: HttpClient, url: string) {
  const res = await c.request(url)
  await eventually(() => (c.store?.stats().pendingWrites ?? 0) === 0, { what: 'the cache writes' })
  return res
}

describe('cache-by-default keeps RFC 9111 semantics', () => {
  it('CDN-Cache-Control max-age=0 and validator-only responses are revalidated, not reused for defaultTtl', async () => {
    const conditional: string[] = []
    const s = await server((req, res) => {
      const validated = req.url === '/etag' || req.url === '/lm'
      if (validated && (req.headers['if-none-match'] ?? req.headers['if-modified-since']) !== undefined) {
        conditional.push(String(req.url))
        res.writeHead(304)
        return res.end()
      }
      if (req.url === '/cdn') res.setHeader('cdn-cache-control', 'max-age=0')
      if (req.url === '/cdn-store') res.setHeader('cdn-cache-control', 'no-store')
      if (req.url === '/etag') res.setHeader('etag', '"v1"')
      if (req.url === '/lm') res.setHeader('last-modified', 'Mon, 01 Jan 2024 00:00:00 GMT')
      res.end(`body ${req.url}`)
    })
    const c = createHttpClient({ retry: false }) // defaultTtl 5 minutes
    clients.push(c)
    for (const path of ['/cdn', '/cdn-store', '/etag', '/lm', '/plain']) await get(c, `${s.origin}${path}`)
    expect(s.requests).toBe(5)
    const cdn = await get(c, `${s.origin}/cdn`)
    expect(await cdn.text()).toBe('body /cdn')
    expect(s.requests).toBe(6) // CDN-Cache-Control max-age=0: not reused
    await get(c, `${s.origin}/cdn-store`)
    expect(s.requests).toBe(7)
    for (const path of ['/etag', '/lm']) {
      const res = await get(c, `${s.origin}${path}`)
      expect(res.cache).toBe('revalidated')
      expect(await res.text()).toBe(`body ${path}`)
    }
    expect(conditional).toEqual(['/etag', '/lm'])
    const again = await get(c, `${s.origin}/etag`)
    expect(again.cache).toBe('revalidated') // a 304 without freshness keeps it revalidated on every use
    expect((await get(c, `${s.origin}/plain`)).cache).toBe('hit') // nothing said: defaultTtl applies
  })
})
