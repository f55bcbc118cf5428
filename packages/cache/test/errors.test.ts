// One error identity: every error a user can see is a coded HotpathError of @hotpath/core, and the
// README's `## Errors` table lists exactly the codes of src/error-codes.ts.
import { HotpathError as CoreHotpathError, isHotpathError } from '@hotpath/core'
import { capture, readmeErrorCodes } from '@hotpath/test-helpers'
import { describe, expect, it, vi } from 'vitest'
import {
  CacheClosedError,
  CacheError,
  CacheNotReadyError,
  ClusterRoleError,
  CounterUnavailableError,
  IdempotencyUnavailableError,
  ValueTooLargeError,
  type CacheFactoryEvent,
  type CacheL2ErrorEvent,
  createCache,
  errorCodes,
  FactoryNullishThrowError,
  FactoryTimeoutError,
  LockUnavailableError,
  HotpathError,
  InvalidKeyError,
  InvalidOptionError,
  InvalidValueError,
  L2NotReadyError,
  L2TimeoutError,
  L2UnavailableError,
  PeerMissingError,
  UnserializableError,
} from '../src/index.ts'
import { RedisBackend, type RedisClientLike } from '../src/l2/redis.ts'

const codes = Object.keys(errorCodes).sort()

describe('error registry', () => {
  it('the README error table lists exactly the registry codes', () => {
    expect(readmeErrorCodes(new URL('../README.md', import.meta.url))).toEqual(codes)
  })

  it('every registry entry says when it is thrown', () => {
    for (const code of codes) {
      expect(code).toMatch(/^HOTPATH_CACHE_[A-Z0-9_]+$/)
      expect(errorCodes[code as keyof typeof errorCodes].length).toBeGreaterThan(10)
    }
  })

  it('re-exports the one HotpathError of @hotpath/core', () => {
    expect(HotpathError).toBe(CoreHotpathError)
  })

  it('every error class is a coded HotpathError with a stable name, and its code is in the registry', () => {
    const errors: [Error, string][] = [
      [
        new InvalidOptionError('ttl', -1, 'a finite number > 0', 'HOTPATH_CACHE_INVALID_OPTION'),
        'InvalidOptionError',
      ],
      [new InvalidKeyError(42), 'InvalidKeyError'],
      [new InvalidValueError('k', undefined), 'InvalidValueError'],
      [new UnserializableError('k', 'contains a function'), 'UnserializableError'],
      [new CacheClosedError('ns'), 'CacheClosedError'],
      [new FactoryTimeoutError('k', 30), 'FactoryTimeoutError'],
      [new LockUnavailableError('k', undefined), 'LockUnavailableError'],
      [new FactoryNullishThrowError('k', undefined), 'FactoryNullishThrowError'],
      [new L2TimeoutError('get', 50), 'L2TimeoutError'],
      [new L2UnavailableError('get'), 'L2UnavailableError'],
      [new L2NotReadyError(), 'L2NotReadyError'],
      [new PeerMissingError('@redis/client', 'l2: { redisUrl }'), 'PeerMissingError'],
      [new CacheNotReadyError('ns', 5000), 'CacheNotReadyError'],
      [new IdempotencyUnavailableError('k'), 'IdempotencyUnavailableError'],
      [new CounterUnavailableError('k', 'L2 did not answer'), 'CounterUnavailableError'],
      [new ValueTooLargeError('k', 2, 1), 'ValueTooLargeError'],
      [new ClusterRoleError('worker'), 'ClusterRoleError'],
    ]
    const seen = new Set<string>()
    for (const [error, name] of errors) {
      expect(error, name).toBeInstanceOf(CoreHotpathError)
      expect(isHotpathError(error), name).toBe(true)
      expect(error.name).toBe(name)
      const code = (error as CoreHotpathError).code
      expect(codes, name).toContain(code)
      seen.add(code)
      if (name !== 'InvalidOptionError') expect(error, name).toBeInstanceOf(CacheError)
    }
    expect([...seen].sort()).toEqual(codes) // every code has a class that throws it
  })
})

describe('every path a user can observe throws a coded error', () => {
  it('option errors use the package code', async () => {
    await using cache = createCache()
    expect(() => createCache({ ttl: -1 })).toThrow(
      expect.objectContaining({
        code: 'HOTPATH_CACHE_INVALID_OPTION',
        message: 'invalid option "ttl": received -1, expected a finite number > 0',
      }),
    )
    await expect(cache.getOrSet('k', () => 1, { lock: 'yes' as never })).rejects.toBeInstanceOf(
      InvalidOptionError,
    )
    expect(() => cache.wrap(async function f() {}, { ttl: 0 })).toThrow(InvalidOptionError)
    // per-call options that are not an object: coded, not a TypeError from reading `null.ttl`
    await expect(cache.set('k', 1, null as never)).rejects.toBeInstanceOf(InvalidOptionError)
    await expect(cache.getOrSet('k', () => 1, null as never)).rejects.toBeInstanceOf(InvalidOptionError)
    expect(() => cache.wrap(async function f() {}, null as never)).toThrow(InvalidOptionError)
  })

  it('wrap() with arguments that have no key (functions, cycles) rejects with InvalidKeyError', async () => {
    await using cache = createCache()
    const byId = cache.wrap(async function byId(id: unknown) {
      return String(id)
    })
    const big = byId(() => 1)
    await expect(big).rejects.toBeInstanceOf(InvalidKeyError)
    await expect(big).rejects.toMatchObject({
      code: 'HOTPATH_CACHE_INVALID_KEY',
      message: expect.stringContaining('pass options.key'),
      cause: expect.any(TypeError),
    })
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    await expect(byId(cyclic)).rejects.toMatchObject({ code: 'HOTPATH_CACHE_INVALID_KEY' })
    // with a key function the same arguments work
    const keyed = cache.wrap(async (id: bigint) => String(id), { key: (id) => `id:${id}` })
    expect(await keyed(12n)).toBe('12')
  })

  it('a factory that throws undefined rejects with FactoryNullishThrowError (published too)', async () => {
    await using cache = createCache()
    const factory = capture<CacheFactoryEvent>('hotpath:cache:factory')
    try {
      const p = cache.getOrSet('k', () => Promise.reject(undefined))
      await expect(p).rejects.toBeInstanceOf(FactoryNullishThrowError)
      await expect(p).rejects.toMatchObject({ code: 'HOTPATH_CACHE_FACTORY_NULLISH_THROW' })
      await expect(
        cache.getOrSet('n', () => {
          throw null
        }),
      ).rejects.toMatchObject({ details: { key: 'n', thrown: null } })
    } finally {
      factory.stop()
    }
    expect(factory.messages.map((m) => (m.error as CoreHotpathError).code)).toEqual([
      'HOTPATH_CACHE_FACTORY_NULLISH_THROW',
      'HOTPATH_CACHE_FACTORY_NULLISH_THROW',
    ])
    // a factory's own errors reach the caller unchanged
    const own = new Error('own')
    await expect(cache.getOrSet('o', () => Promise.reject(own))).rejects.toBe(own)
  })

  it('closed, bad keys, bad values, unserializable values', async () => {
    const cache = createCache({ l2: new Map() })
    await expect(cache.set('', 1)).rejects.toBeInstanceOf(InvalidKeyError)
    await expect(cache.set('k', undefined)).rejects.toBeInstanceOf(InvalidValueError)
    await expect(cache.set('k', () => 1)).rejects.toBeInstanceOf(UnserializableError)
    await cache.close()
    await expect(cache.get('k')).rejects.toBeInstanceOf(CacheClosedError)
  })

  it('an L2 call past l2Timeout is published as a coded L2TimeoutError (fake timers)', async () => {
    vi.useFakeTimers()
    const errors = capture<CacheL2ErrorEvent>('hotpath:cache:l2:error')
    try {
      const never = { get: () => new Promise(() => {}), set: () => undefined, delete: () => true }
      await using cache = createCache({ namespace: 'errors-timeout', l2: never, l2Timeout: 50 })
      const p = cache.get('k')
      await vi.advanceTimersByTimeAsync(50)
      expect(await p).toBeUndefined() // callers get a miss, never the error
    } finally {
      errors.stop()
      vi.useRealTimers()
    }
    const mine = errors.messages.filter((m) => m.cache === 'errors-timeout')
    expect(mine).toHaveLength(1)
    expect(mine[0]).toMatchObject({ operation: 'get', timeout: true })
    expect(mine[0]!.error).toBeInstanceOf(L2TimeoutError)
    expect(mine[0]!.error).toBeInstanceOf(CoreHotpathError)
  })

  it('a Redis client that is reconnecting fails L2 calls with a coded L2NotReadyError', async () => {
    const client = { isOpen: true, isReady: false } as unknown as RedisClientLike
    const backend = new RedisBackend(client, false)
    await new Promise((resolve) => setImmediate(resolve)) // the first connect "happened"
    expect(() => backend.get('k')).toThrow(L2NotReadyError)
    await expect(backend.getMany(['k'])).rejects.toMatchObject({ code: 'HOTPATH_CACHE_L2_NOT_READY' })
    await backend.close()
  })
})
