// RFC 9111 behaviours the README claims, one case per section, through createHttpClient() defaults (the
// http-cache-tests suite is not a dependency yet; see the README). Time is Date-only fake time.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { eventually, startHttpServer, type TestServer } from '@hotpath/test-helpers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createHttpClient, type HttpClient } from '../src/index.ts'

const servers: TestServer[] = []
const clients: HttpClient[] = []
afterEach(async () => {
  vi.useRealTimers()
  await Promise.all(clients.splice(0).map((c) => c.close()))
  await Promise.all(servers.splice(0).map((s) => s.close()))
})
/** A server whose response headers per path come from `routes`; counts requests per path. */
async function origin(routes: Record<string, Record<string, string>>) {
  const hits: Record<string, number> = {}
  const s = await startHttpServer(async (req: IncomingMessage, res: ServerResponse) => {
    const path = String(req.url)
    hits[path] = (hits[path] ?? 0) + 1
    res.sendDate = false
    for (const [name, value] of Object.entries(routes[path] ?? {})) res.setHeader(name, value)
    res.end(`${path} #${hits[path]}`)
  })
  servers.push(s)
  const c = createHttpClient({ retry: false, breaker: false })
  clients.push(c)
  const get = async (path: string, headers?: Record<string, string>) => {
    const res = await c.request({ url: `${s.origin}${path}`, headers })
    await eventually(() => (c.store?.stats().pendingWrites ?? 0) === 0, { what: 'the cache writes' })
    return res
  }
  return { get, hits, c, url: (path: string) => `${s.origin}${path}` }
}

describe('RFC 9111', () => {
  it('4.1 Vary: a response with Vary: * is never reused; Vary selects among stored variants', async () => {
    const { get, hits } = await origin({
      '/star': { 'cache-control': 'max-age=60', vary: '*' },
      '/lang': { 'cache-control': 'max-age=60', vary: 'accept-language' },
    })
    await get('/star')
    await get('/star')
    expect(hits['/star']).toBe(2)
    await get('/lang', { 'accept-language': 'en' })
    await get('/lang', { 'accept-language': 'fr' })
    expect(await (await get('/lang', { 'accept-language': 'en' })).text()).toBe('/lang #1')
    expect(hits['/lang']).toBe(2)
  })

  it('4.4 a successful unsafe method invalidates the target URI', async () => {
    const { get, hits, c, url } = await origin({ '/doc': { 'cache-control': 'max-age=60' } })
    await get('/doc')
    expect((await get('/doc')).cache).toBe('hit')
    await c.request({ url: url('/doc'), method: 'POST', body: 'x' })
    await eventually(async () => (await get('/doc')).cache === 'miss', { what: 'the invalidation' })
    expect(hits['/doc']).toBe(3) // GET, POST, GET
  })

  it('5.1 Age is sent on a reused response; 5.3 Expires gives freshness', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const expires = new Date(Date.now() + 60_000).toUTCString()
    const { get, hits } = await origin({ '/exp': { expires } })
    await get('/exp')
    vi.advanceTimersByTime(10_000)
    const reused = await get('/exp')
    expect(reused.cache).toBe('hit')
    expect(Number(reused.headers.age)).toBeGreaterThanOrEqual(9)
    vi.advanceTimersByTime(60_000)
    await get('/exp')
    expect(hits['/exp']).toBe(2)
  })

  it('5.2.1.4 request no-cache revalidates; 5.2.1.5 request no-store is not served from the cache', async () => {
    const { get, hits } = await origin({ '/r': { 'cache-control': 'max-age=60' } })
    await get('/r')
    expect(await (await get('/r', { 'cache-control': 'no-cache' })).text()).toBe('/r #2')
    expect(await (await get('/r', { 'cache-control': 'no-store' })).text()).toBe('/r #3')
    expect(hits['/r']).toBe(3)
  })

  it('5.2.2.2 must-revalidate: a stale entry is not served without the origin', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const { get, hits } = await origin({ '/m': { 'cache-control': 'max-age=1, must-revalidate' } })
    await get('/m')
    vi.advanceTimersByTime(2_000)
    expect(await (await get('/m')).text()).toBe('/m #2')
    expect(hits['/m']).toBe(2)
  })

  it('5.2.2.10 s-maxage wins over max-age in a shared cache', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const { get, hits } = await origin({ '/s': { 'cache-control': 'max-age=1, s-maxage=60' } })
    await get('/s')
    vi.advanceTimersByTime(5_000)
    expect((await get('/s')).cache).toBe('hit')
    expect(hits['/s']).toBe(1)
  })
})
