// Replies in which the server says it cannot serve anyone right now (BUSY while a script runs, LOADING,
// CLUSTERDOWN, TRYAGAIN, MASTERDOWN) are outages, not bad data of one key: they count toward the breaker,
// and the key is neither counted corrupt nor deleted.
import { createClient } from '@redis/client'
import { type PrivateRedis, requireRedis, startPrivateRedis } from '@hotpath/test-helpers'
import { afterEach, beforeAll, beforeEach, expect, it } from 'vitest'
import { type Cache, createCache } from '../src/index.ts'
import { isReplyError, L2Guard } from '../src/l2/guard.ts'
import { reconnectStrategy } from '../src/l2/redis.ts'
import { manualClock } from './manual-clock.ts'

let available = false
beforeAll(async () => {
  available = await requireRedis()
})
let redis: PrivateRedis
const open: Cache[] = []
beforeEach(async (ctx) => {
  if (!available) ctx.skip()
  redis = await startPrivateRedis()
})
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()))
  await redis?.stop()
})

it('BUSY from a long script opens the breaker and deletes nothing', async () => {
  const cache = createCache({
    namespace: 'busy',
    l1: false,
    l2: { redisUrl: redis.url },
    l2Timeout: 2_000,
    clock: manualClock(), // the breaker stays open until the test moves the clock
    breaker: { threshold: 3, halfOpenAfter: 1_000 },
  })
  open.push(cache)
  await cache.set('k', 'v')
  const admin = createClient({ url: redis.url })
  const script = createClient({ url: redis.url })
  await Promise.all([admin.connect(), script.connect()])
  try {
    await admin.sendCommand(['CONFIG', 'SET', 'busy-reply-threshold', '10'])
    // A script that runs until it is killed: every other client now gets "BUSY ..." replies.
    const running = script.sendCommand(['EVAL', 'while true do end', '0']).catch((e: Error) => e)
    await expect(
      (async () => {
        for (;;) {
          const reply = await admin.sendCommand(['PING']).catch((e: Error) => e)
          if (reply instanceof Error && reply.message.startsWith('BUSY')) return 'busy'
        }
      })(),
    ).resolves.toBe('busy')
    for (let i = 0; i < 5; i++) expect(await cache.get('k')).toBeUndefined()
    expect(cache.stats().breaker).toBe('open')
    expect(cache.stats().l2Corrupt).toBe(0)
    await admin.sendCommand(['SCRIPT', 'KILL'])
    expect(await running).toBeInstanceOf(Error)
  } finally {
    admin.destroy()
    script.destroy()
  }
  const raw = createClient({ url: redis.url })
  await raw.connect()
  expect(await raw.exists('busy:k')).toBe(1) // the value survived the outage
  raw.destroy()
})

it('classifies outage replies apart from data errors', () => {
  class ErrorReply extends Error {}
  for (const message of [
    'BUSY Redis is busy running a script.',
    'LOADING Redis is loading the dataset in memory',
    'CLUSTERDOWN The cluster is down',
    'TRYAGAIN Multiple keys request during rehashing of slot',
    'MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no',
  ]) {
    expect(isReplyError(new ErrorReply(message)), message).toBe(false)
  }
  expect(
    isReplyError(new ErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value')),
  ).toBe(true)
})

it('L2 is usable again within about a second of Redis answering: reconnect attempts are at most ~1 s apart, and a reconnect closes the breaker', () => {
  // The client retries with capped backoff (never more than 1 s + 25 ms jitter between attempts) ...
  for (let attempt = 0; attempt < 100; attempt++)
    expect(reconnectStrategy(attempt)).toBeLessThanOrEqual(1_025)
  // ... and its ready event closes an open breaker at once (no wait for halfOpenAfter).
  const guard = new L2Guard({
    namespace: 'r',
    timeout: 50,
    threshold: 1,
    halfOpenAfter: 60_000,
    clock: manualClock(),
  })
  guard.failed('get', new Error('connect ECONNREFUSED 127.0.0.1:1'))
  expect(guard.state).toBe('open')
  expect(guard.allow()).toBe(false)
  guard.reconnected()
  expect(guard.state).toBe('closed')
  expect(guard.allow()).toBe(true)
})
