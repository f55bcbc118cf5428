import { capture, eventually, redisUrl } from '@hotpath/test-helpers'
import { createClient } from '@redis/client'
import { describe, expect, it } from 'vitest'
import type { CacheBusEvent } from '../src/index.ts'
import { useRedisCaches } from './redis-caches.ts'

// generous l2Timeout: these tests are about the bus and the lock, not deadlines
const fx = useRedisCaches(() => ({
  l2: { redisUrl: redisUrl() },
  bus: { redisUrl: redisUrl() },
  l2Timeout: 10_000,
}))
const { make, connected } = fx

describe('bus', () => {
  it('keeps the L1s of two instances coherent (set, delete, tags, clear)', async () => {
    const a = make()
    const b = make()
    await connected(a, b)
    const busDiag = capture<CacheBusEvent>('hotpath:cache:bus')
    try {
      await a.set('k', 'v1', { tags: ['t'] })
      expect(await b.get('k')).toBe('v1') // via L2, now in b's L1
      expect(b.peek('k')).toBe('v1')

      await a.set('k', 'v2', { tags: ['t'] })
      await eventually(() => b.peek('k') === undefined, { what: 'b drops k after a set' })
      expect(await b.get('k')).toBe('v2')

      await a.delete('k')
      await eventually(() => b.peek('k') === undefined, { what: 'b drops k after a delete' })
      expect(await b.get('k')).toBeUndefined()

      await a.set('tagged', 1, { tags: ['t'] })
      expect(await b.get('tagged')).toBe(1)
      await b.invalidateTags(['t'])
      await eventually(() => a.peek('tagged') === undefined, { what: 'a honours the tag invalidation' })
      expect(await a.get('tagged')).toBeUndefined()

      await b.set('c', 1)
      expect(await a.get('c')).toBe(1)
      // (a may drop 'c' earlier, on the key message of b's set: only the clear message tells it about the clear)
      const cleared = busDiag.next((m) => m.event === 'receive' && m.type === 'clear')
      await b.clear()
      await cleared
      expect(a.peek('c')).toBeUndefined()
      expect(await a.get('c')).toBeUndefined()
    } finally {
      busDiag.stop()
    }
    expect(a.stats().bus!.received).toBeGreaterThanOrEqual(3)
    expect(b.stats().bus!.received).toBeGreaterThanOrEqual(3)
    // messages carry keys and tags only, never values, and name the sender
    const types = new Set(busDiag.messages.map((m) => m.type))
    expect(types).toEqual(new Set(['key', 'tags', 'clear']))
  })

  it('an instance ignores its own messages', async () => {
    const a = make()
    const b = make()
    await connected(a, b)
    await a.set('k', 1)
    // b received a's message, so a (subscribed to the same channel) has been sent it too
    await eventually(() => b.stats().bus!.received === 1, { what: 'b receives the set' })
    expect(a.peek('k')).toBe(1)
    expect(a.stats().bus!.received).toBe(0)
    expect(a.stats().bus!.published).toBe(1)
  })

  it('works as an L1-only invalidation bus without L2', async () => {
    const a = make({ l2: undefined })
    const b = make({ l2: undefined })
    await connected(a, b)
    await a.set('k', 'a')
    await eventually(() => b.stats().bus!.received === 1, { what: 'b receives a set' })
    await b.set('k', 'b')
    await eventually(() => a.peek('k') === undefined, { what: 'a drops its copy' })
    expect(b.peek('k')).toBe('b')
    expect(a.stats().l2Errors).toBe(0)
  })
})

describe('distributed lock', () => {
  it('lock: true runs one factory across two instances; the waiter gets the value', async () => {
    const a = make({ bus: undefined, lockPollInterval: 10 })
    const b = make({ bus: undefined, lockPollInterval: 10 })
    let calls = 0
    // The factory holds the lock until the other instance is seen waiting on it (no guessed sleep).
    const factory = async () => {
      calls++
      await eventually(() => a.stats().locks.waited + b.stats().locks.waited === 1, {
        what: 'the other instance waits for the lock',
      })
      return `v${calls}`
    }
    const results = await Promise.all([
      a.getOrSet('k', factory, { lock: true }),
      b.getOrSet('k', factory, { lock: true }),
      a.getOrSet('k', factory, { lock: true }),
      b.getOrSet('k', factory, { lock: true }),
    ])
    expect(calls).toBe(1)
    expect(results).toEqual(['v1', 'v1', 'v1', 'v1'])
    const locks = [a.stats().locks, b.stats().locks]
    expect(locks[0]!.acquired + locks[1]!.acquired).toBe(1)
    expect(locks[0]!.waited + locks[1]!.waited).toBe(1)
  })

  it('a waiter runs the factory itself when the lock holder dies (lock expires)', async () => {
    // Long lock TTLs, so nothing expires by the machine being slow; the test makes the holder's lock
    // expire on the server (PEXPIRE 1) once b is seen waiting: exactly what its TTL running out does.
    const a = make({ bus: undefined, lockTtl: 60_000, lockPollInterval: 10 })
    const b = make({ bus: undefined, lockTtl: 60_000, lockPollInterval: 10 })
    // a takes the lock and "dies": its factory never settles
    const never = a.getOrSet('k', () => new Promise<string>(() => {}), { lock: true })
    never.catch(() => {})
    await eventually(() => a.stats().locks.acquired === 1, { what: 'a holds the lock' })
    const fromB = b.getOrSet('k', () => 'from-b', { lock: true })
    await eventually(() => b.stats().locks.waited === 1, { what: 'b waits for the lock' })
    const redis = createClient({ url: redisUrl() })
    redis.on('error', () => {})
    await redis.connect()
    try {
      expect(await redis.pExpire(`${fx.ns.prefix}:__hp:lock:k`, 1)).toBe(1)
    } finally {
      redis.destroy()
    }
    expect(await fromB).toBe('from-b')
    // b waited, then took the expired lock itself (not the no-lock fallback of a waiter's deadline)
    expect(b.stats().locks).toEqual({ acquired: 1, waited: 1, fallback: 0 })
    expect(b.peek('k')).toBe('from-b')
  })
})
