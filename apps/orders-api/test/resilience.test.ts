// Redis killed while serving: every route keeps answering (L1 and the database carry on); /metrics is valid
// Prometheus text for promtool.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { promisify } from 'node:util'
import { eventually, type PrivateRedis, startPrivateRedis } from '@hotpath/test-helpers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { orderBody, postOrder, type RunningService, send, startService } from './service.ts'

const run = promisify(execFile)

describe('Redis killed while serving', () => {
  let redis: PrivateRedis
  let svc: RunningService
  beforeAll(async () => {
    redis = await startPrivateRedis()
    svc = await startService('optimized', { redisUrl: redis.url, rateLimit: 10_000 })
  })
  afterAll(async () => {
    await svc?.close()
    await redis?.stop()
  })

  it('reads, writes and status changes keep succeeding', async () => {
    const traffic = async () => {
      const statuses: number[] = []
      for (let i = 1; i <= 5; i++) {
        statuses.push((await fetch(`${svc.origin}/orders/${i}`)).status)
        statuses.push((await fetch(`${svc.origin}/products/${i}?currency=GBP`)).status)
        statuses.push((await fetch(`${svc.origin}/customers/${i}/orders`)).status)
        statuses.push((await fetch(`${svc.origin}/products?category=toys&limit=5`)).status)
      }
      const created = await postOrder(svc.origin, orderBody(2, 50))
      statuses.push(created.status)
      const { id } = (await created.json()) as { id: number }
      statuses.push((await send(svc.origin, 'PATCH', `/orders/${id}`, { status: 'paid' })).status)
      statuses.push((await fetch(`${svc.origin}/orders/${id}`)).status)
      return statuses
    }
    const ok = [...Array(20).fill(200), 201, 200, 200]
    expect(await traffic()).toEqual(ok)
    await redis.kill()
    expect(await traffic()).toEqual(ok)
    // A write with an Idempotency-Key fails closed (never a second order) rather than hanging.
    const keyed = await postOrder(svc.origin, orderBody(2, 51), { 'idempotency-key': 'k-redis-down' })
    expect(keyed.status).toBe(503)
  })
})

describe('/metrics', () => {
  it('passes promtool check metrics', async (ctx) => {
    if (!existsSync('/usr/bin/promtool'))
      return ctx.skip('promtool is not installed: the exposition check is skipped')
    const svc = await startService('optimized')
    try {
      await fetch(`${svc.origin}/orders/1`)
      await postOrder(svc.origin, orderBody(1, 2))
      await eventually(() => svc.services.audit.stats().written > 0, { what: 'the audit flush' })
      const text = await (await fetch(`${svc.origin}/metrics`)).text()
      expect(text).toContain('orders_api_audit_events_total')
      const child = run('/usr/bin/promtool', ['check', 'metrics'])
      child.child.stdin?.end(text)
      const { stdout, stderr } = await child.catch((e: { stdout: string; stderr: string }) => e)
      expect(`${stdout}${stderr}`.trim()).toBe('')
    } finally {
      await svc.close()
    }
  })
})
