// The stand-in upstream runs in its own process; when it fails, the breaker opens and stale prices are served,
// marked as such (field `stale`, header X-Prices-Stale).
import { eventually } from '@hotpath/test-helpers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Order } from '../src/app.ts'
import type { Upstream } from '../src/upstream.ts'
import { startUpstreamProcess } from '../src/upstream-process.ts'
import { type RunningService, startService } from './service.ts'

describe('upstream failing (stand-in in its own process)', () => {
  let upstream: Upstream
  let svc: RunningService
  beforeAll(async () => {
    upstream = await startUpstreamProcess({ latency: 1, errorRate: 0, maxAge: 0 })
    svc = await startService('optimized', { upstream })
  })
  afterAll(async () => {
    await svc?.close()
    await upstream?.close()
  })

  it('breaker opens, stale prices are served and say so, the upstream is left alone', async () => {
    const fresh = await fetch(`${svc.origin}/products/1?currency=EUR`)
    const freshBody = (await fresh.json()) as { price: { amount: number; stale: boolean } }
    expect(freshBody.price.stale).toBe(false)
    expect(fresh.headers.get('x-prices-stale')).toBeNull()
    expect(((await (await fetch(`${svc.origin}/orders/1`)).json()) as Order).total.stale).toBe(false)

    await upstream.set({ errorRate: 1 })
    const priced = async () => {
      const res = await fetch(`${svc.origin}/products/1?currency=EUR`)
      return {
        status: res.status,
        header: res.headers.get('x-prices-stale'),
        body: (await res.json()) as typeof freshBody,
      }
    }
    // Every answer while the upstream fails is a 200 with the last good price, marked stale.
    for (let i = 0; i < 4; i++) {
      const res = await priced()
      expect(res).toMatchObject({
        status: 200,
        header: 'true',
        body: { price: { amount: freshBody.price.amount, stale: true } },
      })
    }
    await eventually(() => svc.services.http?.stats().breakers[upstream.origin] === 'open', {
      timeoutMs: 30_000,
      what: 'the breaker to open',
    })
    expect(await (await fetch(`${svc.origin}/ready`)).json()).toMatchObject({ checks: { upstream: 'open' } })
    // Open: requests do not reach the upstream, and the order route serves stale figures too.
    const reached = await upstream.count()
    const order = (await (await fetch(`${svc.origin}/orders/1`)).json()) as Order
    expect(order.total.stale).toBe(true)
    expect(order.shipping.stale).toBe(true)
    expect((await priced()).body.price.stale).toBe(true)
    expect(await upstream.count()).toBe(reached)
    expect(svc.services.prices.stats().stale).toBeGreaterThan(0)
  })
})

describe('upstream failing in baseline mode', () => {
  it('answers 503 ORDERS_UPSTREAM_UNAVAILABLE (no breaker, no stale copy)', async () => {
    const upstream = await startUpstreamProcess({ latency: 1, errorRate: 1 })
    const svc = await startService('baseline', { upstream })
    try {
      const res = await fetch(`${svc.origin}/products/1?currency=EUR`)
      expect(res.status).toBe(503)
      expect(await res.json()).toMatchObject({ code: 'ORDERS_UPSTREAM_UNAVAILABLE' })
    } finally {
      await svc.close()
      await upstream.close()
    }
  })
})
