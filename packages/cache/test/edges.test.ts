// Issue 11: cross-instance edges against a real Redis (shared one with a namespace, or a private one
// for chaos). Judged by events and by what Redis holds, never by tight wall clocks.
import {
  capture,
  eventually,
  type RedisNamespace,
  redisNamespace,
  redisUrl,
  requireRedis,
} from '@hotpath/test-helpers'
import { createClient } from '@redis/client'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type Cache, type CacheBusEvent, type CacheOptions, createCache } from '../src/index.ts'

let available = false
beforeAll(async () => {
  available = await requireRedis()
})

let ns: RedisNamespace
const open: Cache[] = []
function make(options: CacheOptions = {}): Cache {
  const cache = createCache({
    namespace: ns.prefix,
    l2: { redisUrl: redisUrl() },
    bus: { redisUrl: redisUrl() },
    l2Timeout: 10_000,
    ...options,
  })
  open.push(cache)
  return cache
}
async function connected(...caches: Cache[]): Promise<void> {
  await eventually(() => caches.every((c) => c.stats().bus?.connected === true), { what: 'bus connected' })
}
const rawClient = () => createClient({ url: redisUrl() })
async function raw<T>(fn: (r: ReturnType<typeof rawClient>) => Promise<T>): Promise<T> {
  const r = rawClient()
  r.on('error', () => {})
  await r.connect()
  try {
    return await fn(r)
  } finally {
    r.destroy()
  }
}
beforeEach((ctx) => {
  if (!available) ctx.skip()
  ns = redisNamespace()
})
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()))
  if (available) await ns.cleanup()
})

describe('defect 1: bus after write', () => {
  it('a reader never keeps v(i-1) once the set of v(i) resolved and its bus message arrived', async () => {
    const writer = make()
    const reader = make()
    await connected(writer, reader)
    const bus = capture<CacheBusEvent>('hotpath:cache:bus')
    const pad = 'x'.repeat(200_000)
    const value = (i: number): string => `${i}:${pad}`
    let stop = false
    let reads = 0
    // The reader keeps reading (and so refilling its L1) the whole time.
    const loop = (async () => {
      while (!stop) {
        await reader.get('k')
        reads++
        await new Promise((r) => setImmediate(r)) // L1 hits resolve at once: let I/O in
      }
    })()
    const stale: number[] = []
    try {
      for (let i = 1; i <= 25; i++) {
        const received = bus.messages.filter((m) => m.event === 'receive').length
        await writer.set('k', value(i))
        await eventually(() => bus.messages.filter((m) => m.event === 'receive').length > received, {
          what: `bus message of set ${i}`,
        })
        await new Promise((r) => setTimeout(r, 40))
        const got = (await reader.get<string>('k')) ?? ''
        const n = Number(got.slice(0, got.indexOf(':')))
        if (n < i) stale.push(i)
      }
    } finally {
      stop = true
      await loop
      bus.stop()
    }
    expect(reads).toBeGreaterThan(0)
    expect(stale).toEqual([])
  })
})
