import { describe, expect, it } from 'vitest'
import { startService } from './service.ts'

describe('METRICS switch', () => {
  it('metrics off: the routes serve, nothing of @hotpath/metrics answers (no /metrics, no timing headers)', async () => {
    const service = await startService('optimized', { metrics: false })
    try {
      const res = await fetch(`${service.origin}/products/1`)
      expect(res.status).toBe(200)
      expect(res.headers.get('x-request-count')).toBeNull()
      expect((await fetch(`${service.origin}/metrics`)).status).toBe(404)
    } finally {
      await service.close()
    }
  })

  it('metrics on (the default): /metrics counts the route and the timing headers are set', async () => {
    const service = await startService('optimized')
    try {
      const res = await fetch(`${service.origin}/products/1`)
      expect(res.headers.get('x-request-count')).toMatch(/^\d+$/)
      const text = await (await fetch(`${service.origin}/metrics`)).text()
      expect(text).toMatch(/http_server_request_duration_seconds_count\{[^}]*http_route="\/products\/:id"/)
    } finally {
      await service.close()
    }
  })
})
