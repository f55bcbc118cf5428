// Issue 18, defects 2 and 3: partitions come from the credential function alone; every credential header isolates.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createCache } from '@hotpath/cache'
import { eventually, startHttpServer, type TestServer } from '@hotpath/test-helpers'
import { Agent, interceptors, request } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createHttpClient,
  createUndiciCacheStore,
  type HttpClient,
  type HttpClientOptions,
} from '../src/index.ts'

const servers: TestServer[] = []
const closers: (() => Promise<unknown>)[] = []
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()))
  await Promise.all(servers.splice(0).map((s) => s.close()))
})
async function server(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const s = await startHttpServer(async (req, res) => handler(req, res))
  servers.push(s)
  return s
}
function client(options: HttpClientOptions = {}): HttpClient {
  const c = createHttpClient({ retry: false, ...options })
  closers.push(() => c.close())
  return c
}
async function get(c: HttpClient, url: string, headers?: Record<string, string>) {
  const res = await c.request({ url, headers })
  await eventually(() => (c.store?.stats().pendingWrites ?? 0) === 0, { what: 'the cache writes' })
  return res
}
const who = (req: IncomingMessage) =>
  String(
    req.headers.authorization ??
      req.headers['x-api-key'] ??
      req.headers['proxy-authorization'] ??
      req.headers['x-tenant'] ??
      'anonymous',
  )

describe('credential partitions come from credentialKey alone', () => {
  it('on plain undici, a request naming a partition in x-hotpath-cache-partition never reads it', async () => {
    const s = await server((req, res) => {
      // must-revalidate: undici stores a response to an authenticated request (RFC 9111 section 3.5)
      res.setHeader('cache-control', 'max-age=60, must-revalidate')
      res.end(`user=${who(req)}`)
    })
    const cache = createCache({ namespace: 'forged-partition' })
    closers.push(() => cache.close())
    const store = createUndiciCacheStore(cache, {
      credentialKey: ({ headers }) => (headers?.authorization === 'Bearer alice' ? 'alice' : undefined),
    })
    const agent = new Agent().compose(interceptors.cache({ store, type: 'private' }))
    closers.push(() => (agent as unknown as Agent).close())
    const read = async (headers: Record<string, string>) => {
      const { body } = await request(`${s.origin}/me`, { dispatcher: agent, headers })
      const text = await body.text()
      await eventually(() => store.stats().pendingWrites === 0, { what: 'the cache write' })
      return text
    }
    expect(await read({ authorization: 'Bearer alice' })).toBe('user=Bearer alice')
    expect(await read({ authorization: 'Bearer alice' })).toBe('user=Bearer alice')
    expect(s.requests).toBe(1) // Alice's partition works
    expect(await read({ 'x-hotpath-cache-partition': 'alice' })).toBe('user=anonymous')
    expect(await read({ 'x-hotpath-cache-partition': 'k:alice' })).toBe('user=anonymous')
    expect(s.requests).toBe(2) // both forged requests are anonymous: they share the anonymous entry
  })
})

describe('credentialHeaders', () => {
  it('by default X-Api-Key and Proxy-Authorization isolate like Authorization', async () => {
    const s = await server((req, res) => res.end(`user=${who(req)}`))
    const c = client()
    expect(await (await get(c, `${s.origin}/k`, { 'x-api-key': 'A' })).text()).toBe('user=A')
    const b = await get(c, `${s.origin}/k`, { 'x-api-key': 'B' })
    expect(await b.text()).toBe('user=B')
    expect(b.cache).toBe('bypass')
    expect(await (await get(c, `${s.origin}/k`)).text()).toBe('user=anonymous')
    expect(await (await get(c, `${s.origin}/k`, { 'x-api-key': 'A' })).text()).toBe('user=A')
    await get(c, `${s.origin}/p`, { 'proxy-authorization': 'P1' })
    expect(await (await get(c, `${s.origin}/p`, { 'proxy-authorization': 'P2' })).text()).toBe('user=P2')
    expect(s.requests).toBe(6)
  })

  it('are configurable, and a credentialKey partitions them', async () => {
    const s = await server((req, res) => res.end(`user=${who(req)}`))
    const c = client({
      credentialHeaders: ['x-tenant'],
      credentialKey: ({ headers }) => String(headers?.['x-tenant']),
    })
    await get(c, `${s.origin}/t`, { 'x-tenant': 'one' })
    const again = await get(c, `${s.origin}/t`, { 'x-tenant': 'one' })
    expect(again.cache).toBe('hit')
    expect(await (await get(c, `${s.origin}/t`, { 'x-tenant': 'two' })).text()).toBe('user=two')
    expect(await (await get(c, `${s.origin}/t`)).text()).toBe('user=anonymous')
    expect(s.requests).toBe(3)
    expect(() => createHttpClient({ credentialHeaders: ['X-Bad Name'] })).toThrowError(
      /invalid option "credentialHeaders"/,
    )
  })
})
