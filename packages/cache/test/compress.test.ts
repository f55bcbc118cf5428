// Compressed L2 entries (issue 12): `l2: { redisUrl, compress }`, against the real Redis.
import { createClient } from '@redis/client'
import { eventually, redisUrl, requireRedis } from '@hotpath/test-helpers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InvalidOptionError, createCache } from '../src/index.ts'
import { useRedisCaches } from './redis-caches.ts'

let available = false
let raw: ReturnType<typeof createClient>
beforeAll(async () => {
  available = await requireRedis()
  if (!available) return
  raw = createClient({ url: redisUrl() })
  raw.on('error', () => {})
  await raw.connect()
})
afterAll(() => {
  if (raw?.isOpen) raw.destroy()
})

// Generous l2Timeout: these tests are about what is stored, not deadlines.
const fx = useRedisCaches(() => ({ l2: { redisUrl: redisUrl() }, l2Timeout: 10_000 }))
const compressed = (compress: unknown = true) =>
  fx.make({ l1: false, l2: { redisUrl: redisUrl(), compress: compress as never } })

/** A ~64 KB JSON document of the kind services cache (records with repeated keys, varied values). */
function document(): { items: object[] } {
  const items: object[] = []
  for (let i = 0; JSON.stringify(items).length < 64 * 1024; i++) {
    items.push({
      id: i,
      sku: `SKU-${(i * 7919) % 100_000}`,
      name: `Product ${i}`,
      price: (i * 37) % 1000,
      tags: ['a', 'b'],
    })
  }
  return { items }
}

describe('compressed L2 entries', () => {
  it('a 64 KB JSON value is stored >= 4x smaller (zstd) and reads back equal in another instance', async () => {
    const doc = document()
    const plain = fx.make({ l1: false })
    const zstd = compressed()
    await plain.set('plain', doc)
    await zstd.set('packed', doc)
    const plainBytes = await raw.strLen(`${fx.ns.prefix}:plain`)
    const packedBytes = await raw.strLen(`${fx.ns.prefix}:packed`)
    expect(plainBytes).toBeGreaterThan(64 * 1024)
    expect(packedBytes * 4).toBeLessThanOrEqual(plainBytes)
    expect(await raw.getRange(`${fx.ns.prefix}:packed`, 0, 3)).toBe('hp3j')
    // read by an instance without compression configured, and by the writer
    expect(await plain.get('packed')).toEqual(doc)
    expect(await zstd.get('packed')).toEqual(doc)
    // entries written without compression read back through a compressing instance
    expect(await zstd.get('plain')).toEqual(doc)
    expect(zstd.stats().l2Corrupt + plain.stats().l2Corrupt).toBe(0)
  })

  it('gzip, strings, tagged values (Maps, Buffers) and tags round-trip; small payloads stay plain', async () => {
    const cache = compressed({ codec: 'gzip', minBytes: 100 })
    const text = 'lorem ipsum '.repeat(200)
    const tagged = { m: new Map([['k', Buffer.from('x'.repeat(500))]]), d: new Date(0) }
    await cache.set('text', text, { tags: ['t'] })
    await cache.set('tagged', tagged)
    await cache.set('small', { n: 1 })
    expect(await raw.getRange(`${fx.ns.prefix}:text`, 0, 3)).toBe('hp3s')
    expect(await raw.getRange(`${fx.ns.prefix}:tagged`, 0, 3)).toBe('hp3t')
    expect(await raw.getRange(`${fx.ns.prefix}:small`, 0, 3)).toBe('hp3J')
    const stored = (await raw.get(`${fx.ns.prefix}:text`))!
    expect(stored.slice(stored.indexOf(':', stored.indexOf('["t"]') + 5) + 1).charAt(0)).toBe('g')
    expect(await cache.get('text')).toBe(text)
    expect(await cache.get('tagged')).toEqual(tagged)
    expect(await cache.get('small')).toEqual({ n: 1 })
    await cache.invalidateTags(['t'])
    expect(await cache.get('text')).toBeUndefined()
  })

  it('a corrupt compressed payload is a miss, counted and deleted', async () => {
    const cache = compressed()
    const head = `${Date.now() + 60_000}${Date.now() + 60_000}${Date.now() * 1000}0:`
    const good = await (async () => {
      await cache.set('good', 'y'.repeat(5_000))
      return (await raw.get(`${fx.ns.prefix}:good`))!
    })()
    const payload = good.slice(good.indexOf(':', 47) + 1)
    // flip bytes inside the compressed data (same length, valid base64)
    const mid = Math.floor(payload.length / 2)
    const flipped = payload.slice(0, mid) + (payload[mid] === 'A' ? 'B' : 'A') + payload.slice(mid + 1)
    await raw.set(`${fx.ns.prefix}:flipped`, `hp3s${head}${flipped.length}:${flipped}`)
    await raw.set(`${fx.ns.prefix}:garbage`, `hp3j${head}9:zAAAAAAAA`)
    await raw.set(`${fx.ns.prefix}:codec`, `hp3j${head}5:qAAAA`)
    expect(await cache.get('good')).toBe('y'.repeat(5_000))
    expect(await cache.get('flipped')).toBeUndefined()
    expect(await cache.get('garbage')).toBeUndefined()
    expect(await cache.getOrSet('codec', () => 'fresh')).toBe('fresh')
    expect(cache.stats().l2Corrupt).toBe(3)
    await eventually(
      async () => (await raw.exists([`${fx.ns.prefix}:flipped`, `${fx.ns.prefix}:garbage`])) === 0,
      { what: 'corrupt compressed values deleted' },
    )
  })

  it('rejects bad compress options', () => {
    const url = 'redis://127.0.0.1:6379'
    for (const compress of [{ codec: 'brotli' }, { minBytes: -1 }, { level: 3 }, 'yes']) {
      expect(() => createCache({ l2: { redisUrl: url, compress: compress as never } })).toThrow(
        InvalidOptionError,
      )
    }
  })
})
