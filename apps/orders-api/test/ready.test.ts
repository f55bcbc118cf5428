// /health is liveness (always 200 while the process serves); /ready reports db, Redis and the upstream breaker.
import { type PrivateRedis, startPrivateRedis } from '@hotpath/test-helpers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningService, startService } from './service.ts'

describe('/ready with Redis', () => {
  let redis: PrivateRedis
  let service: RunningService
  beforeAll(async () => {
    redis = await startPrivateRedis()
    service = await startService('optimized', { redisUrl: redis.url })
  })
  afterAll(async () => {
    await service?.close()
    await redis?.stop()
  })

  it('is 200 while every dependency is up, 503 with redis down once Redis is killed; /health stays 200', async () => {
    const up = await fetch(`${service.origin}/ready`)
    expect(up.status).toBe(200)
    expect(await up.json()).toEqual({
      status: 'ready',
      checks: { db: 'up', redis: 'up', upstream: 'closed' },
    })
    await redis.kill()
    const down = await fetch(`${service.origin}/ready`)
    expect(down.status).toBe(503)
    expect(await down.json()).toMatchObject({ status: 'not ready', checks: { db: 'up', redis: 'down' } })
    expect((await fetch(`${service.origin}/health`)).status).toBe(200)
  })
})

describe('/ready without Redis', () => {
  let service: RunningService
  beforeAll(async () => {
    service = await startService('baseline')
  })
  afterAll(async () => {
    await service?.close()
  })

  it('reports redis as not configured and is ready', async () => {
    const res = await fetch(`${service.origin}/ready`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      status: 'ready',
      checks: { db: 'up', redis: 'not configured', upstream: 'none' },
    })
  })
})
