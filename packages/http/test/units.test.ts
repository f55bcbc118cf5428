import { describe, expect, it } from 'vitest'
import { collectionOf, collectionTag, createUndiciCacheStore, urlTag } from '../src/index.ts'
import { backoffDelay, isRetryableMethod, parseRetryAfter } from '../src/retry.ts'

describe('retry policy helpers', () => {
  it('parses Retry-After as seconds or an HTTP date; ignores junk', () => {
    expect(parseRetryAfter('3')).toBe(3000)
    expect(parseRetryAfter(['0'])).toBe(0)
    const now = Date.parse('Sun, 22 Nov 2026 20:00:00 GMT')
    expect(parseRetryAfter('Sun, 22 Nov 2026 20:00:05 GMT', now)).toBe(5000)
    expect(parseRetryAfter('Sun, 22 Nov 2026 19:00:00 GMT', now)).toBe(0)
    expect(parseRetryAfter('soon')).toBeUndefined()
    expect(parseRetryAfter(undefined)).toBeUndefined()
    expect(parseRetryAfter('')).toBeUndefined()
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
    expect(() => createUndiciCacheStore(fake, { maxEntrySize: -1 })).toThrowError(/maxEntrySize: received -1/)
    expect(() => createUndiciCacheStore(fake, { maxVariants: 0 })).toThrowError(/maxVariants/)
    expect(() => createUndiciCacheStore(fake, { credentialKey: 'x' as never })).toThrowError(/credentialKey/)
  })
})
