// Issue 11: cross-instance edges against a real Redis (shared one with a namespace, or a private one
// for chaos). Judged by events and by what Redis holds, never by tight wall clocks.
import { capture, eventually, redisUrl, startPrivateRedis } from '@hotpath/test-helpers'
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createClient } from '@redis/client'
import { describe, expect, it } from 'vitest'
import { type CacheBusEvent, createCache, createIdempotencyStore, HotpathError } from '../src/index.ts'
import { useRedisCaches } from './redis-caches.ts'

const fx = useRedisCaches(() => ({
  l2: { redisUrl: redisUrl() },
  bus: { redisUrl: redisUrl() },
  l2Timeout: 10_000,
}))
const { make, connected } = fx
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

async function countKeys(match: string): Promise<number> {
  return raw(async (r) => {
    let n = 0
    for await (const keys of r.scanIterator({ MATCH: match, COUNT: 1000 })) n += keys.length
    return n
  })
}

describe('defect 2: lost invalidations', () => {
  it('await invalidateTags(20_000 tags) leaves every stamp in Redis; the breaker stays closed', async () => {
    const c = make({ l2Timeout: 50, bus: undefined })
    await c.ready()
    const tags = Array.from({ length: 20_000 }, (_, i) => `t${i}`)
    await c.invalidateTags(tags)
    expect(await countKeys(`${fx.ns.prefix}:__hp:tag:*`)).toBe(20_000)
    expect(c.stats().breaker).toBe('closed')
  })

  it('close() flushes invalidations still being written', async () => {
    const c = make({ l2Timeout: 50 })
    await c.ready()
    const tags = Array.from({ length: 5_000 }, (_, i) => `u${i}`)
    const p = c.invalidateTags(tags)
    await c.close()
    await p
    expect(await countKeys(`${fx.ns.prefix}:__hp:tag:*`)).toBe(5_000)
  })
})

describe('defect 3: the breaker opens on outages only', () => {
  it('WRONGTYPE on one key is a miss for that key (deleted), never a breaker failure', async () => {
    await raw((r) => r.lPush(`${fx.ns.prefix}:bad`, 'x'))
    const c = make({ bus: undefined, l2Timeout: 1_000, breaker: { threshold: 2, halfOpenAfter: 60_000 } })
    for (let i = 0; i < 5; i++) expect(await c.get('bad')).toBeUndefined()
    expect(c.stats().breaker).toBe('closed')
    expect(await raw((r) => r.exists(`${fx.ns.prefix}:bad`))).toBe(0)
    await c.set('good', 1)
    const other = make({ bus: undefined, l1: false })
    expect(await other.get('good')).toBe(1)
  })
})

describe('defect 4: cold start', () => {
  it('a fresh instance runs 0 of 100 factories for keys already in Redis', async () => {
    const writer = make({ bus: undefined })
    for (let i = 0; i < 100; i++) await writer.set(`k${i}`, i)
    const fresh = make({ bus: undefined, l2Timeout: 20 })
    let runs = 0
    const values = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        fresh.getOrSet(`k${i}`, () => {
          runs++
          return -1
        }),
      ),
    )
    expect(values).toEqual(Array.from({ length: 100 }, (_, i) => i))
    expect(runs).toBe(0)
    expect(fresh.stats().breaker).toBe('closed')
  })

  it('ready() resolves once connected, rejects with a coded error when it cannot connect', async () => {
    const c = make()
    await c.ready()
    expect(c.stats().bus?.connected).toBe(true)
    const down = createCache({ l2: { redisUrl: 'redis://127.0.0.1:1' }, connectTimeout: 300 })
    fx.track(down)
    await expect(down.ready()).rejects.toMatchObject({ code: 'HOTPATH_CACHE_NOT_READY' })
    await expect(down.ready()).rejects.toBeInstanceOf(HotpathError)
  })
})

describe('defect 10: close() at any moment', () => {
  const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url))
  for (const when of ['same tick', 'next tick', 'after 5 ms']) {
    it(`a process that creates and closes a cache (${when}) exits by itself`, async () => {
      const wait =
        when === 'same tick'
          ? ''
          : when === 'next tick'
            ? 'await new Promise((r) => setImmediate(r))'
            : 'await new Promise((r) => setTimeout(r, 5))'
      const script = join(tmpdir(), `hp-close-${process.pid}-${when.replace(/ /g, '-')}.mts`)
      await writeFile(
        script,
        `import { createCache } from ${JSON.stringify(entry)}
const url = ${JSON.stringify(redisUrl())}
const c = createCache({ namespace: ${JSON.stringify(fx.ns.prefix)}, l2: { redisUrl: url }, bus: { redisUrl: url } })
${wait}
await c.close()
`,
      )
      const child = spawn(process.execPath, [script], { stdio: ['ignore', 'ignore', 'pipe'] })
      let stderr = ''
      child.stderr.on('data', (d) => {
        stderr += String(d)
      })
      const code = await new Promise<number | null | 'hung'>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL')
          resolve('hung')
        }, 15_000)
        child.on('exit', (c) => {
          clearTimeout(timer)
          resolve(c)
        })
      })
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    }, 30_000)
  }
})

describe('defect 5: L2 data is validated', () => {
  it('a far-future clear stamp in Redis does not blind the process', async () => {
    await raw((r) => r.set(`${fx.ns.prefix}:__hp:gen`, String(Date.now() + 10 * 365 * 24 * 3600_000)))
    const c = make({ bus: undefined })
    await c.set('k', 1)
    const fresh = make({ bus: undefined, l1: false })
    expect(await fresh.get('k')).toBe(1)
    await c.set('k2', 2)
    expect(await fresh.get('k2')).toBe(2)
  })

  it('a string entry cut short is a miss, not a shorter value', async () => {
    const c = make({ bus: undefined })
    await c.set('s', 'hello world, a long enough string')
    const full = `${fx.ns.prefix}:s`
    const stored = (await raw((r) => r.get(full)))!
    await raw((r) => r.set(full, stored.slice(0, -5)))
    const fresh = make({ bus: undefined, l1: false })
    expect(await fresh.get('s')).toBeUndefined()
  })

  it('a stalled process (its event loop blocked past every l2Timeout) does not open the breaker', async () => {
    const cache = make({
      l1: false,
      bus: undefined,
      l2Timeout: 50,
      breaker: { threshold: 3, halfOpenAfter: 60_000 },
    })
    await cache.set('k', 'v')
    for (let round = 0; round < 3; round++) {
      const calls = Array.from({ length: 20 }, () => cache.get('k'))
      // CPU starvation of this process (a long synchronous task): Redis answers in time, but every deadline has
      // passed by the time the loop runs again.
      const end = performance.now() + 300
      while (performance.now() < end) {}
      for (const value of await Promise.all(calls)) expect(['v', undefined]).toContain(value)
    }
    expect(cache.stats().breaker).toBe('closed')
    expect(await cache.get('k')).toBe('v')
  })

  it('a value over maxValueBytes stays out of L2, reported, never a breaker failure', async () => {
    const errors = capture<{ cache: string; error: HotpathError }>('hotpath:cache:l2:error')
    const c = make({ bus: undefined, breaker: { threshold: 1 } })
    try {
      await c.set('big', 'x'.repeat(2 * 1024 * 1024))
      expect(await raw((r) => r.exists(`${fx.ns.prefix}:big`))).toBe(0)
      expect(c.peek('big')).toHaveLength(2 * 1024 * 1024) // L1 still has it
    } finally {
      errors.stop()
    }
    expect(errors.messages.filter((m) => m.cache === fx.ns.prefix).map((m) => m.error.code)).toEqual([
      'HOTPATH_CACHE_VALUE_TOO_LARGE',
    ])
    expect(c.stats().breaker).toBe('closed')
  })
})

describe('defect 6: idempotency fails closed', () => {
  it('with Redis stalled, a second instance never gets started while the first runs', async () => {
    const redis = await startPrivateRedis()
    try {
      const opts = { namespace: 'idem', l2: { redisUrl: redis.url }, l2Timeout: 50 }
      const a = createCache(opts)
      const b = createCache(opts)
      fx.track(a, b)
      await Promise.all([a.ready(), b.ready()])
      expect(await createIdempotencyStore(a).begin('pay-1')).toEqual({ status: 'started' })
      redis.freeze()
      try {
        await expect(createIdempotencyStore(b).begin('pay-1')).rejects.toMatchObject({
          code: 'HOTPATH_CACHE_IDEMPOTENCY_UNAVAILABLE',
        })
      } finally {
        redis.thaw()
      }
      expect(await createIdempotencyStore(b).begin('pay-1')).toEqual({ status: 'in-flight' })
    } finally {
      await fx.closeAll()
      await redis.stop()
    }
  })
})

describe('defect 7: wrap keys never collide', () => {
  it('Maps, Sets, undefined / null and BigInts get distinct keys', async () => {
    const c = createCache({ namespace: 'wrapkeys' })
    fx.track(c)
    const echo = c.wrap(async function echo(x: unknown) {
      return x
    })
    const a = new Map([[1, 'a']])
    const b = new Map([[2, 'b']])
    expect(await echo(a)).toBe(a)
    expect(await echo(b)).toBe(b)
    expect(await echo(new Set([1]))).toEqual(new Set([1]))
    expect(await echo(new Set([2]))).toEqual(new Set([2]))
    expect(await echo(undefined)).toBeUndefined()
    expect(await echo(null)).toBeNull()
    expect(await echo(1n)).toBe(1n)
    expect(await echo(2n)).toBe(2n)
    expect(await echo('x'.repeat(1000))).toHaveLength(1000)
  })
})
