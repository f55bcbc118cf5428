import { redisUrl, requireRedis, uniqueId } from '@hotpath/test-helpers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { orderBody, postOrder, type RunningService, send, startService } from './service.ts'

async function orderCount(svc: RunningService): Promise<number> {
  const [row] = await svc.services.db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM orders')
  return Number(row?.n)
}

describe.each(['optimized', 'baseline'] as const)('Idempotency-Key on POST /orders (%s)', (mode) => {
  let svc: RunningService
  beforeAll(async () => {
    svc = await startService(mode)
  })
  afterAll(() => svc.close())

  it('10 concurrent POSTs with one key create one order; duplicates get 409 + Retry-After or the replay', async () => {
    const before = await orderCount(svc)
    const body = orderBody(3, 5, 2, 'GBP')
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        postOrder(svc.origin, body, { 'idempotency-key': `concurrent-${mode}` }),
      ),
    )
    expect(await orderCount(svc)).toBe(before + 1)
    const created = responses.filter((r) => r.status === 201)
    const conflicts = responses.filter((r) => r.status === 409)
    expect(created.length + conflicts.length).toBe(10)
    expect(created.length).toBeGreaterThanOrEqual(1)
    for (const r of conflicts) {
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(await r.json()).toMatchObject({ code: 'ORDERS_IDEMPOTENCY_IN_FLIGHT' })
    }
    const texts = new Set(await Promise.all(created.map((r) => r.text())))
    expect(texts.size).toBe(1)
  })

  it('a retry returns the first response byte for byte; a different body with the same key is 422', async () => {
    const body = orderBody(4, 6, 1, 'USD')
    const key = { 'idempotency-key': `retry-${mode}` }
    const first = await postOrder(svc.origin, body, key)
    expect(first.status).toBe(201)
    const firstText = await first.text()
    const before = await orderCount(svc)
    const retry = await postOrder(svc.origin, body, key)
    expect(retry.status).toBe(201)
    expect(await retry.text()).toBe(firstText)
    expect(retry.headers.get('location')).toBe(first.headers.get('location'))
    expect(retry.headers.get('idempotent-replayed')).toBe('true')
    expect(await orderCount(svc)).toBe(before)
    const other = await postOrder(svc.origin, orderBody(4, 6, 2, 'USD'), key)
    expect(other.status).toBe(422)
    expect(await other.json()).toMatchObject({ code: 'ORDERS_IDEMPOTENCY_KEY_REUSED' })
    expect(await orderCount(svc)).toBe(before)
  })

  it('a request without the key is not deduplicated, and a bad key is a 400', async () => {
    const before = await orderCount(svc)
    const body = orderBody(5, 7)
    expect((await postOrder(svc.origin, body)).status).toBe(201)
    expect((await postOrder(svc.origin, body)).status).toBe(201)
    expect(await orderCount(svc)).toBe(before + 2)
    expect((await postOrder(svc.origin, body, { 'idempotency-key': 'x'.repeat(300) })).status).toBe(400)
  })
  it('a retried PATCH is replayed, not re-run (which would be a 409 invalid transition)', async () => {
    const created = (await (await postOrder(svc.origin, orderBody(6, 9))).json()) as { id: number }
    const key = { 'idempotency-key': `patch-${mode}` }
    const first = await send(svc.origin, 'PATCH', `/orders/${created.id}`, { status: 'paid' }, key)
    expect(first.status).toBe(200)
    const retry = await send(svc.origin, 'PATCH', `/orders/${created.id}`, { status: 'paid' }, key)
    expect(retry.status).toBe(200)
    expect(retry.headers.get('idempotent-replayed')).toBe('true')
    expect(await retry.text()).toBe(await first.text())
  })
})

describe('Idempotency-Key across two instances sharing Redis', () => {
  it('a retry on the other instance is replayed, not re-run', async (ctx) => {
    if (!(await requireRedis())) return ctx.skip()
    const a = await startService('optimized', { redisUrl: redisUrl() })
    const b = await startService('optimized', { redisUrl: redisUrl() })
    try {
      const body = orderBody(2, 8)
      const key = { 'idempotency-key': uniqueId('idem') }
      const first = await postOrder(a.origin, body, key)
      expect(first.status).toBe(201)
      const before = await orderCount(b)
      const retry = await postOrder(b.origin, body, key)
      expect(retry.status).toBe(201)
      expect(await retry.text()).toBe(await first.text())
      expect(await orderCount(b)).toBe(before)
    } finally {
      await a.close()
      await b.close()
    }
  })
})
