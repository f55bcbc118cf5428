// Per-client rate limit (429 + Retry-After, shared through Redis), body size limit, slow-request log.
import { redisUrl, requireRedis, uniqueId } from '@hotpath/test-helpers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { startUpstream } from '../src/upstream.ts'
import { postOrder, startService } from './service.ts'

/** Two optimized instances sharing one Redis namespace, the limit per 60 s window; Date faked to a fixed time. */
async function twoInstances(rateLimit: number) {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(new Date('2026-12-01T00:00:00.100Z'))
  const shared = {
    rateLimit,
    rateLimitWindow: 60_000,
    redisUrl: redisUrl(),
    namespace: uniqueId('orders-rl'),
  }
  return [await startService('optimized', shared), await startService('optimized', shared)] as const
}

describe('rate limit', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('answers 429 with Retry-After past the limit, and serves again in the next window', async () => {
    // Only Date is faked: the limiter's windows follow it, sockets and timers stay real.
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2026-12-01T00:00:00.200Z'))
    const svc = await startService('optimized', { rateLimit: 3, rateLimitWindow: 1000 })
    try {
      for (let i = 0; i < 3; i++) expect((await fetch(`${svc.origin}/products/1`)).status).toBe(200)
      const limited = await fetch(`${svc.origin}/products/1`)
      expect(limited.status).toBe(429)
      expect(limited.headers.get('retry-after')).toBe('1')
      expect(await limited.json()).toMatchObject({ code: 'ORDERS_RATE_LIMITED' })
      expect((await fetch(`${svc.origin}/health`)).status).toBe(200) // probes are exempt
      vi.setSystemTime(new Date('2026-12-01T00:00:01.000Z'))
      expect((await fetch(`${svc.origin}/products/1`)).status).toBe(200)
    } finally {
      await svc.close()
    }
  })

  it('holds across two instances sharing Redis', async (ctx) => {
    if (!(await requireRedis())) return ctx.skip()
    const [a, b] = await twoInstances(4)
    try {
      for (const origin of [a.origin, b.origin, a.origin, b.origin])
        expect((await fetch(`${origin}/products/2`)).status).toBe(200)
      const limited = await fetch(`${b.origin}/products/2`)
      expect(limited.status).toBe(429)
      expect(Number(limited.headers.get('retry-after'))).toBe(60)
      expect((await fetch(`${a.origin}/products/2`)).status).toBe(429)
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('concurrent requests on two instances sharing Redis never get past the limit together', async (ctx) => {
    if (!(await requireRedis())) return ctx.skip()
    const [a, b] = await twoInstances(10)
    try {
      const statuses = await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const res = await fetch(`${(i % 2 ? a : b).origin}/products/3`)
          await res.arrayBuffer()
          return res.status
        }),
      )
      expect(statuses.filter((s) => s === 200)).toHaveLength(10)
      expect(statuses.filter((s) => s === 429)).toHaveLength(30)
    } finally {
      await a.close()
      await b.close()
    }
  })
})

describe('body size limit and slow-request log', () => {
  it('a body over 64 KiB is 413 JSON; a slow request is logged with its route and DB time', async () => {
    const lines: string[] = []
    const upstream = await startUpstream(40)
    const svc = await startService('baseline', {
      upstream,
      slowRequestThreshold: 30,
      slowRequestWrite: (line) => lines.push(line),
    })
    try {
      const huge = await postOrder(svc.origin, JSON.stringify({ pad: 'x'.repeat(70 * 1024) }))
      expect(huge.status).toBe(413)
      expect(await huge.json()).toMatchObject({ code: 'ORDERS_PAYLOAD_TOO_LARGE' })
      expect((await fetch(`${svc.origin}/orders/2`)).status).toBe(200) // waits ~40 ms for the upstream
      const slow = lines.map((l) => JSON.parse(l)).find((l) => l.route === '/orders/:id')
      expect(slow).toMatchObject({ msg: 'slow request', method: 'GET', status: 200, threshold: 30 })
      expect(slow.durationMs).toBeGreaterThanOrEqual(30)
      expect(slow.dbMs).toBeGreaterThan(0)
      expect(svc.services.slowLog?.recent().some((r) => r.route === '/orders/:id')).toBe(true)
    } finally {
      await svc.close()
      await upstream.close()
    }
  })
})

describe('compression', () => {
  it('compresses responses over 1 KiB for clients that accept it, not small ones', async () => {
    const svc = await startService('optimized')
    try {
      const page = await fetch(`${svc.origin}/products?limit=100`, { headers: { 'accept-encoding': 'gzip' } })
      expect(page.headers.get('content-encoding')).toBe('gzip')
      expect(((await page.json()) as { products: unknown[] }).products).toHaveLength(100)
      const plain = await fetch(`${svc.origin}/products?limit=100`, {
        headers: { 'accept-encoding': 'identity' },
      })
      expect(plain.headers.get('content-encoding')).toBeNull()
      const small = await fetch(`${svc.origin}/health`, { headers: { 'accept-encoding': 'gzip' } })
      expect(small.headers.get('content-encoding')).toBeNull()
    } finally {
      await svc.close()
    }
  })
})
