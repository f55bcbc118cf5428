// POST /orders writes the created order through to the cache: reading it back is a hit that answers exactly what
// the database read would.
import { describe, expect, it } from 'vitest'
import { postOrder, startService } from './service.ts'

describe('created order, written through', () => {
  it('the read after POST is a cache hit equal to the database read', async () => {
    const svc = await startService('optimized')
    try {
      const created = await postOrder(svc.origin, {
        customer: 3,
        currency: 'GBP',
        lines: [
          { product: 9, quantity: 2 },
          { product: 4, quantity: 1 },
        ],
      })
      expect(created.status).toBe(201)
      const { id } = (await created.json()) as { id: number }
      const cached = await fetch(`${svc.origin}/orders/${id}`)
      // No database time: the entry the POST wrote answered it.
      expect(cached.headers.get('x-db-time')).toBe('0.000ms')
      const fromCache = await cached.json()
      await svc.services.cache?.delete(`order:${id}`)
      const fromDb = await fetch(`${svc.origin}/orders/${id}`)
      expect(fromDb.headers.get('x-db-time')).not.toBe('0.000ms')
      expect(fromCache).toEqual(await fromDb.json())
    } finally {
      await svc.close()
    }
  })
})
