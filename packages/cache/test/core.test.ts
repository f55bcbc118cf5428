// Option validation, bad input and close() (the L1 behaviour suite is test/l1-suite.ts, run per policy).
import { HotpathError } from '@hotpath/core'
import { describe, expect, it } from 'vitest'
import { CacheClosedError, createCache, InvalidKeyError, InvalidOptionError } from '../src/index.ts'

describe('bad input', () => {
  it('rejects invalid options naming the option and the value', () => {
    const cases: [unknown, string][] = [
      [{ ttl: 0 }, 'ttl'],
      [{ ttl: -5 }, 'ttl'],
      [{ ttl: Number.NaN }, 'ttl'],
      [{ grace: -1 }, 'grace'],
      [{ namespace: 'has space' }, 'namespace'],
      [{ l1: { max: 0 } }, 'l1.max'],
      [{ l1: 'big' }, 'l1'],
      [{ l2: 42 }, 'l2'],
      [{ l2: { redisUrl: 'http://x' } }, 'l2.redisUrl'],
      [{ bus: { redisUrl: 'nope' } }, 'bus.redisUrl'],
      [{ l2Timeout: 0 }, 'l2Timeout'],
      [{ adaptiveTtl: { min: 10, max: 5 } }, 'adaptiveTtl.max'],
      [{ breaker: { threshold: 1.5 } }, 'breaker.threshold'],
      [{ tll: 5 }, 'tll'],
      [{ l1: { maxx: 5 } }, 'l1.maxx'],
      [{ l1: { policy: 'lfu' } }, 'l1.policy'],
      [{ breaker: { treshold: 5 } }, 'breaker.treshold'],
      [{ clock: { now: () => 1 } }, 'clock'],
      [{ lockPollInterval: '20' }, 'lockPollInterval'],
      ['x', 'options'],
    ]
    for (const [options, name] of cases) {
      const create = () => createCache(options as never)
      expect(create, name).toThrow(InvalidOptionError)
      expect(create, name).toThrow(HotpathError)
      expect(create, name).toThrow(
        expect.objectContaining({
          code: 'HOTPATH_CACHE_INVALID_OPTION',
          message: expect.stringContaining(`invalid option "${name}": received `),
          details: expect.objectContaining({ option: name }),
        }),
      )
    }
  })

  it('rejects bad keys, values, ttls and factories with coded errors', async () => {
    await using cache = createCache()
    await expect(cache.get(42 as never)).rejects.toBeInstanceOf(InvalidKeyError)
    await expect(cache.set('', 1)).rejects.toMatchObject({ code: 'HOTPATH_CACHE_INVALID_KEY' })
    await expect(cache.set('__hp:gen', 1)).rejects.toMatchObject({ code: 'HOTPATH_CACHE_INVALID_KEY' })
    expect(() => cache.peek({} as never)).toThrow(InvalidKeyError)
    await expect(cache.set('k', undefined)).rejects.toMatchObject({ code: 'HOTPATH_CACHE_INVALID_VALUE' })
    await expect(cache.set('k', 1, { ttl: 0 })).rejects.toMatchObject({
      code: 'HOTPATH_CACHE_INVALID_OPTION',
      message: expect.stringContaining('ttl'),
    })
    await expect(cache.set('k', 1, { tags: [1] as never })).rejects.toMatchObject({
      code: 'HOTPATH_CACHE_INVALID_OPTION',
    })
    await expect(cache.getOrSet('k', 'nope' as never)).rejects.toMatchObject({
      code: 'HOTPATH_CACHE_INVALID_OPTION',
    })
    await expect(cache.getOrSet('k', () => 1, { ttl: -1 })).rejects.toMatchObject({
      code: 'HOTPATH_CACHE_INVALID_OPTION',
    })
    await expect(cache.invalidateTags('t' as never)).rejects.toMatchObject({
      code: 'HOTPATH_CACHE_INVALID_OPTION',
    })
    expect(() => cache.wrap(async () => 1)).toThrow(InvalidOptionError)
  })

  it('rejects new work after close; close is idempotent', async () => {
    const cache = createCache()
    await cache.set('a', 1)
    await cache.close()
    await cache.close()
    await cache[Symbol.asyncDispose]()
    await expect(cache.get('a')).rejects.toBeInstanceOf(CacheClosedError)
    await expect(cache.set('a', 1)).rejects.toMatchObject({ code: 'HOTPATH_CACHE_CLOSED' })
    await expect(cache.getOrSet('a', () => 1)).rejects.toMatchObject({ code: 'HOTPATH_CACHE_CLOSED' })
    await expect(cache.delete('a')).rejects.toMatchObject({ code: 'HOTPATH_CACHE_CLOSED' })
    await expect(cache.clear()).rejects.toMatchObject({ code: 'HOTPATH_CACHE_CLOSED' })
    await expect(cache.invalidateTags(['x'])).rejects.toMatchObject({ code: 'HOTPATH_CACHE_CLOSED' })
  })
})
