import type { IncomingMessage, ServerResponse } from 'node:http'
import { createCache } from '@hotpath/cache'
import {
  type RedisNamespace,
  redisNamespace,
  redisUrl,
  requireRedis,
  startHttpServer,
  eventually,
  startPrivateRedis,
  type TestServer,
} from '@hotpath/test-helpers'
import KeyvRedis from '@keyv/redis'
import { Agent, fetch, interceptors, request } from 'undici'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  createHttpClient,
  createUndiciCacheStore,
  type HttpClient,
  type HttpClientOptions,
} from '../src/index.ts'
import { manualClock } from './helpers.ts'

const servers: TestServer[] = []
const closers: (() => Promise<unknown>)[] = []
afterEach(async () => {
  vi.useRealTimers()
  await Promise.all(closers.splice(0).map((c) => c()))
  await Promise.all(servers.splice(0).map((s) => s.close()))
})
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** Waits until the store has no write, refresh or delete in progress. */
async function settled(c: HttpClient): Promise<void> {
  await eventually(() => (c.store?.stats().pendingWrites ?? 0) === 0, { what: 'the cache writes' })
}
/** Freshness is computed from Date.now() (undici's stamps and the store's clock): fake only Date. */
function fakeDate(): void {
  vi.useFakeTimers({ toFake: ['Date'] })
}

async function server(handler: (req: IncomingMessage, res: ServerResponse) => unknown): Promise<TestServer> {
  const s = await startHttpServer(async (req, res) => {
    await handler(req, res)
  })
  servers.push(s)
  return s
}
function client(options: HttpClientOptions = {}): HttpClient {
  const c = createHttpClient({ retry: false, ...options })
  closers.push(() => c.close())
  return c
}
/** Requests and waits until the cache write (a stream end, a 304 refresh, a delete) has landed. */
async function get(c: HttpClient, url: string, headers?: Record<string, string>) {
  const res = await c.request({ url, headers })
  await settled(c)
  return res
}

describe('cache by default and Cache-Control', () => {
  it('caches GET 2xx without explicit freshness for defaultTtl; 0 disables; non-2xx is not cached by default', async () => {
    const s = await server((req, res) => {
      if (req.url === '/404') res.writeHead(404)
      res.end(`n=${req.url}`)
    })
    const c = client()
    expect((await get(c, `${s.origin}/a`)).cache).toBe('miss')
    const hit = await get(c, `${s.origin}/a`)
    expect(hit.cache).toBe('hit')
    expect(await hit.text()).toBe('n=/a')
    expect(hit.headers.age).toBeDefined()
    expect(s.requests).toBe(1)
    await get(c, `${s.origin}/404`)
    expect((await get(c, `${s.origin}/404`)).cache).toBe('miss')
    expect(s.requests).toBe(3)
    const off = client({ defaultTtl: 0 })
    await get(off, `${s.origin}/b`)
    expect((await get(off, `${s.origin}/b`)).cache).toBe('miss')
    expect(c.stats().cache).toMatchObject({ hit: 1, miss: 3 })
  })

  it('never stores no-store, private (shared mode) or Set-Cookie responses', async () => {
    const s = await server((req, res) => {
      if (req.url === '/no-store') res.setHeader('cache-control', 'no-store')
      if (req.url === '/private') res.setHeader('cache-control', 'private, max-age=60')
      if (req.url === '/cookie') res.setHeader('set-cookie', 'session=abc')
      res.end('x')
    })
    const c = client()
    for (const path of ['/no-store', '/private', '/cookie']) {
      await get(c, `${s.origin}${path}`)
      expect((await get(c, `${s.origin}${path}`)).cache).toBe('miss')
    }
    expect(s.requests).toBe(6)
    const privateCache = client({ shared: false })
    await get(privateCache, `${s.origin}/private`)
    expect((await get(privateCache, `${s.origin}/private`)).cache).toBe('hit')
  })

  it('honours max-age and Vary', async () => {
    fakeDate()
    const s = await server((req, res) => {
      res.sendDate = false // a whole-second Date would eat up to 1 s of the 1 s freshness
      res.setHeader('cache-control', 'max-age=1')
      res.setHeader('vary', 'accept-language')
      res.end(`lang=${req.headers['accept-language'] ?? 'none'}`)
    })
    const c = client()
    expect(await (await get(c, `${s.origin}/v`, { 'accept-language': 'en' })).text()).toBe('lang=en')
    expect(await (await get(c, `${s.origin}/v`, { 'accept-language': 'fr' })).text()).toBe('lang=fr')
    const en = await get(c, `${s.origin}/v`, { 'Accept-Language': 'en' })
    expect(en.cache).toBe('hit')
    expect(await en.text()).toBe('lang=en')
    expect(await (await get(c, `${s.origin}/v`)).text()).toBe('lang=none')
    expect(s.requests).toBe(3)
    vi.advanceTimersByTime(999)
    expect((await get(c, `${s.origin}/v`, { 'accept-language': 'en' })).cache).toBe('hit')
    vi.advanceTimersByTime(101)
    expect((await get(c, `${s.origin}/v`, { 'accept-language': 'en' })).cache).toBe('miss')
    expect(s.requests).toBe(4)
  })

  it('revalidates an ETag entry with a conditional request; a 304 refreshes it', async () => {
    fakeDate()
    let notModified = 0
    const s = await server((req, res) => {
      res.sendDate = false
      res.setHeader('cache-control', 'max-age=1')
      res.setHeader('etag', '"v1"')
      if (req.headers['if-none-match'] === '"v1"') {
        notModified++
        res.writeHead(304)
        return res.end()
      }
      res.end('body-v1')
    })
    const c = client()
    expect((await get(c, `${s.origin}/e`)).cache).toBe('miss')
    vi.advanceTimersByTime(1100)
    const revalidated = await get(c, `${s.origin}/e`)
    expect(revalidated.cache).toBe('revalidated')
    expect(revalidated.statusCode).toBe(200)
    expect(await revalidated.text()).toBe('body-v1')
    expect(notModified).toBe(1)
    const fresh = await get(c, `${s.origin}/e`)
    expect(fresh.cache).toBe('hit') // the 304 gave the entry a new max-age
    expect(await fresh.text()).toBe('body-v1')
    expect(s.requests).toBe(2)
  })

  it('serves stale-if-error while the origin returns 500, and stale-while-revalidate in the background', async () => {
    let broken = false
    let version = 1
    const s = await server((req, res) => {
      res.sendDate = false
      if (req.url === '/sie') {
        res.setHeader('cache-control', 'max-age=1, stale-if-error=60')
        if (broken) {
          res.writeHead(500)
          return res.end('down')
        }
        return res.end('good')
      }
      res.setHeader('cache-control', 'max-age=1, stale-while-revalidate=60')
      res.end(`v${version}`)
    })
    fakeDate()
    const c = client({ breaker: false })
    await get(c, `${s.origin}/sie`)
    await get(c, `${s.origin}/swr`)
    vi.advanceTimersByTime(1100)
    broken = true
    version = 2
    const stale = await get(c, `${s.origin}/sie`)
    expect(stale.statusCode).toBe(200)
    expect(stale.cache).toBe('stale')
    expect(await stale.text()).toBe('good')
    const swr = await get(c, `${s.origin}/swr`)
    expect(swr.cache).toBe('stale')
    expect(await swr.text()).toBe('v1')
    await eventually(async () => (await c.request(`${s.origin}/swr`)).body.toString() === 'v2')
  })
})

describe('credentials never leak across users', () => {
  it('does not serve or store requests with Authorization/Cookie unless the response is public', async () => {
    const s = await server((req, res) => {
      if (req.url === '/public') res.setHeader('cache-control', 'public, max-age=60')
      res.end(`user=${req.headers.authorization ?? req.headers.cookie ?? 'anonymous'}`)
    })
    const c = client()
    expect(await (await get(c, `${s.origin}/me`, { authorization: 'Bearer alice' })).text()).toBe(
      'user=Bearer alice',
    )
    const bob = await get(c, `${s.origin}/me`, { authorization: 'Bearer bob' })
    expect(await bob.text()).toBe('user=Bearer bob')
    expect(bob.cache).toBe('bypass')
    expect(await (await get(c, `${s.origin}/me`)).text()).toBe('user=anonymous')
    expect(await (await get(c, `${s.origin}/me`, { cookie: 'sid=carol' })).text()).toBe('user=sid=carol')
    expect(s.requests).toBe(4)
    // an explicitly public response may be shared
    await get(c, `${s.origin}/public`, { authorization: 'Bearer alice' })
    const shared = await get(c, `${s.origin}/public`, { authorization: 'Bearer bob' })
    expect(shared.cache).toBe('hit')
    expect(s.requests).toBe(5)
  })

  it('with a credentialKey, caches per credential partition', async () => {
    const s = await server((req, res) => res.end(`user=${req.headers.authorization}`))
    const { createHash } = await import('node:crypto')
    const c = client({
      credentialKey: ({ headers }) =>
        createHash('sha256').update(String(headers?.authorization)).digest('hex'),
    })
    await get(c, `${s.origin}/me`, { authorization: 'alice' })
    const again = await get(c, `${s.origin}/me`, { authorization: 'alice' })
    expect(again.cache).toBe('hit')
    expect(await again.text()).toBe('user=alice')
    const bob = await get(c, `${s.origin}/me`, { authorization: 'bob' })
    expect(await bob.text()).toBe('user=bob')
    expect(s.requests).toBe(2)
    // naming a partition by hand (without the credential) never reads someone else's entry
    const aliceHash = createHash('sha256').update('alice').digest('hex')
    const forged = await get(c, `${s.origin}/me`, { 'x-hotpath-cache-partition': aliceHash })
    expect(await forged.text()).toBe('user=undefined')
    expect(s.requests).toBe(3)
  })
})

describe('invalidation', () => {
  it('a successful write invalidates its path; collection mode drops every GET under the collection', async () => {
    const s = await server((req, res) => res.end(`${req.method} ${req.url}`))
    const pathMode = client()
    const coll = client({ invalidate: 'collection' })
    for (const c of [pathMode, coll]) {
      for (const p of ['/orders', '/orders?page=2', '/orders/42', '/users']) await get(c, `${s.origin}${p}`)
    }
    const before = s.requests
    await get(pathMode, `${s.origin}/orders`)
    expect(s.requests).toBe(before)
    await pathMode.request({ url: `${s.origin}/orders`, method: 'POST', body: '{}' })
    await settled(pathMode)
    expect((await get(pathMode, `${s.origin}/orders`)).cache).toBe('miss')
    expect((await get(pathMode, `${s.origin}/orders?page=2`)).cache).toBe('hit')

    await coll.request({ url: `${s.origin}/orders`, method: 'POST', body: '{}' })
    expect((await get(coll, `${s.origin}/orders?page=2`)).cache).toBe('miss')
    expect((await get(coll, `${s.origin}/orders/42`)).cache).toBe('miss')
    expect((await get(coll, `${s.origin}/users`)).cache).toBe('hit')
    // PUT /orders/42 drops the /orders collection too
    await get(coll, `${s.origin}/orders`)
    await coll.request({ url: `${s.origin}/orders/42`, method: 'PUT', body: '{}' })
    expect((await get(coll, `${s.origin}/orders`)).cache).toBe('miss')
  })

  it('client.invalidate(prefix) and tag invalidation by hand', async () => {
    const s = await server((req, res) => res.end(String(req.url)))
    const c = client({
      origin: s.origin,
      cacheTags: ({ path }) => (path.startsWith('/catalog') ? ['catalog'] : []),
    })
    for (const p of ['/a/1', '/a/2?x=1', '/b', '/catalog/1']) await get(c, p)
    await c.invalidate('/a')
    expect((await get(c, '/a/1')).cache).toBe('miss')
    expect((await get(c, '/a/2?x=1')).cache).toBe('miss')
    expect((await get(c, '/b')).cache).toBe('hit')
    await c.invalidateTags(['catalog'])
    expect((await get(c, '/catalog/1')).cache).toBe('miss')
  })
})

describe('coalescing and faults with the cache on', () => {
  it('1,000 concurrent identical GETs make one upstream request, then hits', async () => {
    const s = await server(async (_req, res) => {
      await sleep(30)
      res.end('once')
    })
    const c = client()
    const all = await Promise.all(Array.from({ length: 1000 }, () => c.request(`${s.origin}/hot`)))
    expect(s.requests).toBe(1)
    expect(all.every((r) => r.body.toString() === 'once')).toBe(true)
    await settled(c)
    expect((await c.request(`${s.origin}/hot`)).cache).toBe('hit')
    expect(c.stats().coalesced).toBe(999)
  })

  it('a truncated body is an error and is never cached; bodies over maxEntrySize are not stored', async () => {
    let truncate = true
    const s = await server((req, res) => {
      if (req.url === '/big') return res.end(Buffer.alloc(2048, 97))
      if (truncate) {
        res.writeHead(200, { 'content-length': '50', 'cache-control': 'max-age=60' })
        res.write('partial')
        setTimeout(() => res.socket?.destroy(), 10)
        return
      }
      res.setHeader('cache-control', 'max-age=60')
      res.end('complete')
    })
    const c = client({ maxEntrySize: 1024 })
    const error = await c.request(`${s.origin}/t`).catch((e: unknown) => e)
    expect((error as { code: string }).code).toBe('HOTPATH_HTTP_TRUNCATED_BODY')
    truncate = false
    await settled(c)
    const ok = await get(c, `${s.origin}/t`)
    expect(ok.cache).toBe('miss')
    expect(await ok.text()).toBe('complete')
    expect((await get(c, `${s.origin}/t`)).cache).toBe('hit')
    await get(c, `${s.origin}/big`)
    expect((await get(c, `${s.origin}/big`)).cache).toBe('miss')
    expect(c.store?.stats().tooLarge).toBe(2)
  })
})

describe('invalid JSON never poisons the cache', () => {
  it('drops a cached body that json() cannot parse', async () => {
    let good = false
    const s = await server((_req, res) => {
      res.setHeader('cache-control', 'max-age=60')
      res.end(good ? '{"ok":true}' : '{"ok":')
    })
    const c = client()
    const bad = await get(c, `${s.origin}/j`)
    expect((await bad.json().catch((e: { code: string }) => e)) as { code: string }).toMatchObject({
      code: 'HOTPATH_HTTP_INVALID_JSON',
    })
    good = true
    await settled(c)
    const again = await get(c, `${s.origin}/j`)
    expect(again.cache).toBe('miss')
    expect(await again.json()).toEqual({ ok: true })
    expect((await get(c, `${s.origin}/j`)).cache).toBe('hit')
  })
})

describe('the store on its own (plain undici)', () => {
  it('plugs into undici interceptors.cache and returns nothing after deleteAt', async () => {
    const s = await server((_req, res) => {
      res.setHeader('cache-control', 'max-age=60')
      res.end('plain')
    })
    const cache = createCache({ namespace: 'plain-undici' })
    closers.push(() => cache.close())
    const clock = manualClock()
    const store = createUndiciCacheStore(cache, { clock })
    const agent = new Agent().compose(interceptors.cache({ store }))
    closers.push(() => (agent as unknown as Agent).close())
    for (let i = 0; i < 3; i++) {
      const { body } = await request(`${s.origin}/p`, { dispatcher: agent })
      expect(await body.text()).toBe('plain')
      await eventually(() => store.stats().pendingWrites === 0, { what: 'the cache write' })
    }
    expect(s.requests).toBe(1)
    // fetch through the same dispatcher is served from the store too
    const viaFetch = await fetch(`${s.origin}/p`, { dispatcher: agent })
    expect(await viaFetch.text()).toBe('plain')
    expect(s.requests).toBe(1)

    const key = { origin: s.origin, method: 'GET', path: '/short', headers: {} }
    const now = clock.epoch()
    const ws = store.createWriteStream(key, {
      statusCode: 200,
      statusMessage: 'OK',
      headers: {},
      cacheControlDirectives: {},
      cachedAt: now,
      staleAt: now + 30_000,
      deleteAt: now + 60_000,
    })
    await new Promise<void>((r) => ws?.end(Buffer.from('x'), () => r()))
    expect(await store.get(key)).toBeDefined()
    clock.advance(59_999)
    expect(await store.get(key)).toBeDefined()
    clock.advance(1) // deleteAt: the store's clock says the entry is gone, whatever L1 still holds
    expect(await store.get(key)).toBeUndefined()
    expect(() => createUndiciCacheStore({} as never)).toThrowError(/invalid option "cache"/)
  })
})

describe('two clients sharing a Redis-backed store', () => {
  let available = false
  let ns: RedisNamespace
  beforeAll(async () => {
    available = await requireRedis()
  })

  it('B is served what A cached; a write through A invalidates it for B', async (ctx) => {
    if (!available) ctx.skip()
    ns = redisNamespace()
    closers.push(() => ns.cleanup())
    let version = 1
    const s = await server((req, res) => res.end(`${req.method} v${version}`))
    const make = () => {
      const adapter = new KeyvRedis(redisUrl())
      const cache = createCache({
        namespace: ns.prefix,
        l2: adapter,
        bus: { redisUrl: redisUrl() },
        l2Timeout: 500,
      })
      closers.push(async () => {
        await cache.close()
        await adapter.disconnect().catch(() => {})
      })
      return cache
    }
    const a = client({ name: 'a', cache: make() })
    const b = client({ name: 'b', cache: make() })
    expect((await a.request(`${s.origin}/shared`)).cache).toBe('miss')
    await eventually(() => a.store?.stats().writes === 1) // written to L1 and Redis
    const fromB = await b.request(`${s.origin}/shared`)
    expect(fromB.cache).toBe('hit')
    expect(await fromB.text()).toBe('GET v1')
    expect(s.requests).toBe(1)
    version = 2
    await a.request({ url: `${s.origin}/shared`, method: 'DELETE' })
    await eventually(async () => (await b.request(`${s.origin}/shared`)).body.toString() === 'GET v2')
  })
})

describe('a closed cache', () => {
  it('is a miss, never an error: requests still reach the origin', async () => {
    const s = await server((_req, res) => res.end('origin'))
    const cache = createCache({ namespace: 'closed' })
    const c = client({ cache })
    await get(c, `${s.origin}/x`)
    await cache.close()
    for (let i = 0; i < 2; i++) {
      const res = await get(c, `${s.origin}/y`)
      expect(await res.text()).toBe('origin')
    }
    expect(s.requests).toBe(3)
  })
})

describe('Redis down', () => {
  it('keeps answering from the origin (and L1) when the L2 Redis dies or freezes, without hanging', async (ctx) => {
    if (!(await requireRedis())) ctx.skip()
    const redis = await startPrivateRedis()
    closers.push(() => redis.stop())
    const s = await server((req, res) => res.end(String(req.url)))
    const cache = createCache({ namespace: 'down', l2: { redisUrl: redis.url }, l2Timeout: 100 })
    closers.push(() => cache.close())
    const c = client({ cache })
    expect((await get(c, `${s.origin}/a`)).cache).toBe('miss')
    await eventually(() => c.store?.stats().writes === 1)
    redis.freeze()
    const started = Date.now()
    expect((await get(c, `${s.origin}/a`)).cache).toBe('hit') // L1
    expect(await (await get(c, `${s.origin}/b`)).text()).toBe('/b') // L2 read times out -> origin
    redis.thaw()
    await redis.kill()
    expect(await (await get(c, `${s.origin}/c`)).text()).toBe('/c')
    expect(Date.now() - started).toBeLessThan(5_000)
  })
})
