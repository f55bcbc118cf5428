// The hotpath:http:request tracing channel: one start..asyncEnd per client call, headers added at start reach
// the server, a fast-path cache hit says so from start on, a failure ends with `error`.
import { tracingChannel } from 'node:diagnostics_channel'
import { captureTracing, freePort, startHttpServer } from '@hotpath/test-helpers'
import { afterEach, describe, expect, it } from 'vitest'
import { createHttpClient, type HttpRequestTraceContext } from '../src/index.ts'

const channel = tracingChannel<object, HttpRequestTraceContext>('hotpath:http:request')
type Seen = { event: string; ctx: HttpRequestTraceContext; fromCache: boolean }
let unsubscribe: (() => void) | undefined
afterEach(() => unsubscribe?.())

/** Records every event (with `fromCache` as it was then); `onStart` runs in the start subscriber. */
function record(onStart?: (ctx: HttpRequestTraceContext) => void): Seen[] {
  const seen: Seen[] = []
  const capture = captureTracing<HttpRequestTraceContext>('hotpath:http:request', (event, ctx) => {
    if (event === 'start') onStart?.(ctx)
    seen.push({ event, ctx, fromCache: ctx.fromCache })
  })
  unsubscribe = capture.stop
  return seen
}

describe('hotpath:http:request tracing channel', () => {
  it('one call: start, end, asyncStart, asyncEnd on one context; a header set at start is sent', async () => {
    const received: Array<string | undefined> = []
    const upstream = await startHttpServer((req, res) => {
      received.push(req.headers.traceparent as string | undefined)
      res.writeHead(200, { 'cache-control': 'public, max-age=60' })
      res.end('ok')
    })
    const seen = record((ctx) =>
      ctx.setHeader('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'),
    )
    await using http = createHttpClient({ name: 'catalog' })
    try {
      const first = await http.request(`${upstream.origin}/items/7?full=1`)
      const second = await http.request(`${upstream.origin}/items/7?full=1`)
      expect([first.cache, second.cache]).toEqual(['miss', 'hit'])
    } finally {
      await upstream.close()
    }
    // the hit made no network call: the server saw one request
    expect(received).toEqual(['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'])
    expect(seen.map((s) => s.event)).toEqual([
      'start',
      'end',
      'asyncStart',
      'asyncEnd',
      'start',
      'end',
      'asyncStart',
      'asyncEnd',
    ])
    const [miss, hit] = [seen[0]!, seen[4]!]
    expect(new Set(seen.slice(0, 4).map((s) => s.ctx)).size).toBe(1)
    const port = Number(new URL(upstream.origin).port)
    expect(miss.ctx).toMatchObject({
      client: 'catalog',
      method: 'GET',
      origin: upstream.origin,
      scheme: 'http',
      host: '127.0.0.1',
      port,
      path: '/items/7',
      target: '/items/7?full=1',
      statusCode: 200,
      cache: 'miss',
      retries: 0,
      coalesced: false,
    })
    expect([miss.fromCache, hit.fromCache]).toEqual([false, true])
    expect(hit.ctx).toMatchObject({ statusCode: 200, cache: 'hit' })
  })

  it('a refused connection: start, end, error, asyncStart, asyncEnd; error is the coded error', async () => {
    const port = await freePort()
    const seen = record()
    await using http = createHttpClient({ name: 'down', retry: false })
    await expect(http.request(`http://127.0.0.1:${port}/x`)).rejects.toThrow()
    expect(seen.map((s) => s.event)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd'])
    const ctx = seen[0]!.ctx
    expect((ctx.error as { code?: string }).code).toMatch(/^HOTPATH_HTTP_/)
    expect(ctx.statusCode).toBeUndefined()
  })

  it('a call that joins an in-flight identical GET is marked coalesced', async () => {
    const upstream = await startHttpServer((_req, res) => {
      setTimeout(() => res.end('ok'), 20)
    })
    const seen = record()
    await using http = createHttpClient({ name: 'join', cache: false })
    try {
      await Promise.all([http.request(`${upstream.origin}/a`), http.request(`${upstream.origin}/a`)])
    } finally {
      await upstream.close()
    }
    const starts = seen.filter((s) => s.event === 'start').map((s) => s.ctx.coalesced)
    expect(starts).toEqual([false, true])
  })

  it('publishes nothing and builds no context without subscribers', () => {
    expect(channel.hasSubscribers).toBe(false)
  })
})
