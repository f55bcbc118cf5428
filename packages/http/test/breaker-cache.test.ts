// Issue 18, defect 1: the cache stands in front of the breaker; the breaker counts only "origin unhealthy".
import type { IncomingMessage, ServerResponse } from 'node:http'
import { eventually, startHttpServer, type TestServer } from '@hotpath/test-helpers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createHttpClient, type HttpClient, type HttpClientOptions } from '../src/index.ts'
import { codeOf } from './helpers.ts'

const servers: TestServer[] = []
const clients: HttpClient[] = []
afterEach(async () => {
  vi.useRealTimers()
  await Promise.all(clients.splice(0).map((c) => c.close()))
  await Promise.all(servers.splice(0).map((s) => s.close()))
})
async function server(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const s = await startHttpServer(async (req, res) => handler(req, res))
  servers.push(s)
  return s
}
function client(options: HttpClientOptions): HttpClient {
  const c = createHttpClient({ retry: false, ...options })
  clients.push(c)
  return c
}
async function get(c: HttpClient, url: string, headers?: Record<string, string>) {
  const res = await c.request({ url, headers })
  await eventually(() => (c.store?.stats().pendingWrites ?? 0) === 0, { what: 'the cache writes' })
  return res
}

describe('the cache stands in front of the breaker', () => {
  it('serves stale-if-error and max-stale entries while the breaker is open; uncached URLs fail fast', async () => {
    const s = await server((req, res) => {
      res.sendDate = false
      if (req.url === '/sie') res.setHeader('cache-control', 'max-age=1, stale-if-error=600')
      else if (req.url === '/fresh') res.setHeader('cache-control', 'max-age=60')
      else res.writeHead(503)
      res.end(`body ${req.url}`)
    })
    vi.useFakeTimers({ toFake: ['Date'] })
    const c = client({ breaker: { threshold: 3, halfOpenAfter: 600_000 } })
    await get(c, `${s.origin}/sie`)
    await get(c, `${s.origin}/fresh`)
    vi.advanceTimersByTime(1_100) // /sie is stale now, /fresh is not
    for (let i = 0; i < 3; i++) expect((await get(c, `${s.origin}/down`)).statusCode).toBe(503)
    expect(c.stats().breakers[s.origin]).toBe('open')
    const before = s.requests

    const stale = await get(c, `${s.origin}/sie`)
    expect(stale.statusCode).toBe(200)
    expect(stale.cache).toBe('stale')
    expect(await stale.text()).toBe('body /sie')
    const fresh = await get(c, `${s.origin}/fresh`, { 'cache-control': 'max-stale=60' })
    expect(fresh.statusCode).toBe(200)
    expect(await fresh.text()).toBe('body /fresh')
    expect(await codeOf(c.request(`${s.origin}/other`))).toBe('HOTPATH_HTTP_CIRCUIT_OPEN')
    expect(s.requests).toBe(before) // the open breaker kept every request away from the origin
    expect(c.stats().breakers[s.origin]).toBe('open')
  })

  it('counts connect errors and 502/503/504 by default, never 500/501; failureStatusCodes configures it', async () => {
    let status = 500
    const s = await server((_req, res) => {
      res.writeHead(status)
      res.end()
    })
    const c = client({ cache: false, breaker: { threshold: 2, halfOpenAfter: 600_000 } })
    for (const code of [500, 501, 500, 501]) {
      status = code
      expect((await c.request(`${s.origin}/`)).statusCode).toBe(code)
    }
    expect(c.stats().breakers[s.origin]).toBe('closed')
    status = 502
    await c.request(`${s.origin}/`)
    status = 504
    await c.request(`${s.origin}/`)
    expect(c.stats().breakers[s.origin]).toBe('open')

    const strict = client({ cache: false, breaker: { threshold: 2, failureStatusCodes: [500] } })
    status = 503
    await strict.request(`${s.origin}/`)
    status = 500
    await strict.request(`${s.origin}/`)
    expect(strict.stats().breakers[s.origin]).toBe('closed') // 503 is not in the list, 500 is one failure
    await strict.request(`${s.origin}/`)
    expect(strict.stats().breakers[s.origin]).toBe('open')

    const refused = client({ cache: false, breaker: { threshold: 2 } })
    const dead = `http://127.0.0.1:${await closedPort()}`
    for (let i = 0; i < 2; i++) expect(await codeOf(refused.request(`${dead}/`))).toMatch(/^HOTPATH_HTTP_/)
    expect(refused.stats().breakers[dead]).toBe('open')
    expect(() => client({ breaker: { failureStatusCodes: [99] } })).toThrowError(
      /invalid option "breaker.failureStatusCodes"/,
    )
  })
})

async function closedPort(): Promise<number> {
  const s = await startHttpServer((_req, res) => {
    res.end()
  })
  const port = Number(new URL(s.origin).port)
  await s.close()
  return port
}
