import { systemClock } from '@hotpath/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { CircuitBreaker } from '../src/breaker.ts'
import {
  collectionOf,
  collectionTag,
  createUndiciCacheStore,
  HotpathError,
  InvalidOptionError,
  urlTag,
} from '../src/index.ts'
import { prepare } from '../src/prepare.ts'
import { TokenBucket } from '../src/rate-limiter.ts'
import { backoffDelay, isRetryableMethod, parseRetryAfter, pause } from '../src/retry.ts'
import { codeOf, manualClock } from './helpers.ts'

afterEach(() => {
  vi.useRealTimers()
})

describe('retry policy helpers', () => {
  it('parses Retry-After as seconds or an HTTP date; ignores junk', () => {
    const now = Date.parse('Sun, 22 Nov 2026 20:00:00 GMT')
    expect(parseRetryAfter('3', now)).toBe(3000)
    expect(parseRetryAfter(['0'], now)).toBe(0)
    expect(parseRetryAfter('Sun, 22 Nov 2026 20:00:05 GMT', now)).toBe(5000)
    expect(parseRetryAfter('Sun, 22 Nov 2026 19:00:00 GMT', now)).toBe(0)
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter(undefined, now)).toBeUndefined()
    expect(parseRetryAfter('', now)).toBeUndefined()
  })

  it('backs off exponentially with jitter in [d/2, d], capped by maxDelay', () => {
    for (let attempt = 0; attempt < 8; attempt++) {
      for (let i = 0; i < 50; i++) {
        const d = Math.min(1000, 100 * 2 ** attempt)
        const delay = backoffDelay(attempt, 100, 1000)
        expect(delay).toBeGreaterThanOrEqual(Math.floor(d / 2))
        expect(delay).toBeLessThanOrEqual(d)
      }
    }
  })

  it('retries idempotent methods; POST/PATCH only with an Idempotency-Key and the opt-in', () => {
    for (const m of ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'])
      expect(isRetryableMethod(m, undefined, false)).toBe(true)
    expect(isRetryableMethod('POST', { 'idempotency-key': 'k' }, false)).toBe(false)
    expect(isRetryableMethod('POST', undefined, true)).toBe(false)
    expect(isRetryableMethod('PATCH', { 'idempotency-key': 'k' }, true)).toBe(true)
  })
})

describe('collections and tags', () => {
  it('maps a write to its collection', () => {
    expect(collectionOf('POST', '/orders')).toBe('/orders')
    expect(collectionOf('POST', '/orders/?x=1')).toBe('/orders')
    expect(collectionOf('PUT', '/orders/42')).toBe('/orders')
    expect(collectionOf('DELETE', '/orders/42/items/7')).toBe('/orders/42/items')
    expect(collectionOf('PATCH', '/orders')).toBe('/orders')
    expect(collectionOf('POST', '/')).toBe('/')
  })

  it('tags a URL and its collections', () => {
    expect(urlTag('http://a', '/x?y=1')).toBe('u|http://a/x?y=1')
    expect(collectionTag('http://a', '/orders/?page=2')).toBe('c|http://a/orders')
    expect(collectionTag('http://a', '/')).toBe('c|http://a')
  })

  it('validates store options', () => {
    const fake = { get() {}, set() {}, peek() {}, delete() {}, invalidateTags() {}, close() {} } as never
    expect(() => createUndiciCacheStore(fake, { maxEntrySize: -1 })).toThrowError(
      /"maxEntrySize": received -1/,
    )
    expect(() => createUndiciCacheStore(fake, { maxVariants: 0 })).toThrowError(/maxVariants/)
    expect(() => createUndiciCacheStore(fake, { credentialKey: 'x' as never })).toThrowError(/credentialKey/)
    expect(() => createUndiciCacheStore(fake, { cacheTags: 'x' as never })).toThrowError(/"cacheTags"/)
    expect(() => createUndiciCacheStore(fake, { tags: () => [] } as never)).toThrowError(
      /"tags".*renamed to "cacheTags"/,
    )
    expect(() => createUndiciCacheStore(fake, { clock: Date } as never)).toThrowError(InvalidOptionError)
    expect(() => createUndiciCacheStore({} as never)).toThrowError(
      expect.objectContaining({ code: 'HOTPATH_HTTP_INVALID_OPTION' }),
    )
  })
})

describe('time-driven logic under fake timers', () => {
  it('the token bucket queues, times out after maxWait and rejects a full queue', async () => {
    vi.useFakeTimers() // systemClock reads the faked performance.now()
    const bucket = new TokenBucket('http://x', { rps: 10, burst: 1, maxQueue: 2, maxWait: 250 }, systemClock)
    expect(bucket.tryTake()).toBe(true)
    expect(bucket.tryTake()).toBe(false)
    const waited = bucket.wait()
    const late = bucket.wait()
    expect(await codeOf(bucket.wait())).toBe('HOTPATH_HTTP_RATE_LIMIT_QUEUE_FULL')
    await vi.advanceTimersByTimeAsync(100)
    expect(await waited).toBe(100)
    await vi.advanceTimersByTimeAsync(100) // its token comes at 200 ms, before its 250 ms deadline
    expect(await late).toBe(200)
    const third = bucket.wait()
    await vi.advanceTimersByTimeAsync(100)
    expect(await third).toBe(100)
    // a waiter whose turn comes after maxWait fails with RATE_LIMIT_TIMEOUT
    const slow = new TokenBucket('http://y', { rps: 1, burst: 1, maxQueue: 5, maxWait: 250 }, systemClock)
    slow.tryTake()
    const timedOut = codeOf(slow.wait())
    await vi.advanceTimersByTimeAsync(1_000)
    expect(await timedOut).toBe('HOTPATH_HTTP_RATE_LIMIT_TIMEOUT')
  })

  it('the breaker opens at the threshold and lets one probe through after halfOpenAfter', () => {
    const clock = manualClock()
    const states: string[] = []
    const breaker = new CircuitBreaker(
      'http://x',
      { threshold: 2, halfOpenAfter: 1_000, failureStatusCodes: [503] },
      (_o, s) => states.push(s),
      clock,
    )
    expect(breaker.enter()).toBe(false)
    breaker.failure(false)
    breaker.failure(false)
    expect(breaker.state).toBe('open')
    expect(() => breaker.enter()).toThrowError(expect.objectContaining({ code: 'HOTPATH_HTTP_CIRCUIT_OPEN' }))
    clock.advance(999)
    expect(() => breaker.enter()).toThrowError(HotpathError)
    clock.advance(1)
    expect(breaker.enter()).toBe(true) // the probe
    expect(() => breaker.enter()).toThrowError(/is open/) // only one probe at a time
    breaker.success(true)
    expect(breaker.state).toBe('closed')
    expect(states).toEqual(['open', 'half-open', 'closed'])
  })

  it('pause() waits on a fake timer and resolves false when aborted', async () => {
    vi.useFakeTimers()
    const ac = new AbortController()
    const done = pause(1_000, ac.signal)
    await vi.advanceTimersByTimeAsync(1_000)
    expect(await done).toBe(true)
    const cut = pause(1_000, ac.signal)
    ac.abort()
    expect(await cut).toBe(false)
    expect(await pause(10, ac.signal)).toBe(false)
  })
})

describe('prepare with a known origin string', () => {
  it('reuses the known string only when the URL continues with a path or ends there', () => {
    const known = 'http://127.0.0.1:1'
    const same = prepare(`${known}/items?x=1#frag`, undefined, known)
    expect(same.rawOrigin).toBe(known)
    expect(same.path).toBe('/items?x=1')
    expect(prepare(known, undefined, known).path).toBe('/')
    expect(prepare('http://127.0.0.1:10/x', undefined, known).rawOrigin).toBe('http://127.0.0.1:10')
    expect(prepare(`${known}?q=1`, undefined, known)).toMatchObject({ rawOrigin: known, path: '/?q=1' })
  })
})
