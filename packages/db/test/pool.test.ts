import diagnostics_channel from 'node:diagnostics_channel'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { createPool, type Lease } from '../src/index.ts'

let nextId = 0
const counter = () => {
  const made: number[] = []
  const destroyed: number[] = []
  return {
    made,
    destroyed,
    create: () => {
      const id = ++nextId
      made.push(id)
      return { id }
    },
    destroy: (r: { id: number }) => {
      destroyed.push(r.id)
    },
  }
}

describe('createPool options', () => {
  it('rejects bad options naming the option, the value and what is allowed', () => {
    expect(() => createPool({ create: undefined as never })).toThrow(/"create".*a function/)
    expect(() => createPool({ create: () => 1, max: 0 })).toThrow(
      /"max": received 0, expected an integer >= 1/,
    )
    expect(() => createPool({ create: () => 1, min: 5, max: 2 })).toThrow(/"min"/)
    expect(() => createPool({ create: () => 1, acquireTimeout: Number.POSITIVE_INFINITY })).toThrow(
      /acquireTimeout/,
    )
    expect(() => createPool({ create: () => 1, maxWaiting: -1 })).toThrow(/maxWaiting/)
    try {
      createPool({ create: () => 1, idleTimeout: 'x' as never })
    } catch (error) {
      expect((error as { code: string }).code).toBe('HOTPATH_DB_INVALID_OPTION')
      expect((error as Record<symbol, unknown>)[Symbol.for('hotpath.error')]).toBe(true)
    }
  })
})

describe('pool behaviour', () => {
  it('warms up min resources and reuses idle ones LIFO', async () => {
    const c = counter()
    await using pool = createPool({ ...c, min: 3, max: 5 })
    await pool.ready()
    expect(pool.stats()).toMatchObject({ kind: 'pool', size: 3, idle: 3, used: 0, created: 3 })
    const a = await pool.acquire()
    const id = a.resource.id
    a.release()
    const b = await pool.acquire()
    expect(b.resource.id).toBe(id) // last released is first reused
    b.release()
  })

  it('serves waiters in FIFO order and hands a released resource to the oldest waiter', async () => {
    const c = counter()
    await using pool = createPool({ ...c, max: 1 })
    const first = await pool.acquire()
    const order: number[] = []
    const waiters = [1, 2, 3].map((n) =>
      pool.acquire().then((lease) => {
        order.push(n)
        return lease
      }),
    )
    expect(pool.stats().pending).toBe(3)
    first.release()
    for (const w of waiters) (await w).release()
    expect(order).toEqual([1, 2, 3])
    expect(c.made).toHaveLength(1)
  })

  it('times out waiters with a coded error and the create error as cause, without busy looping', async () => {
    let attempts = 0
    const boom = new Error('connect ECONNREFUSED')
    await using pool = createPool({
      create: () => {
        attempts++
        return Promise.reject(boom)
      },
      acquireTimeout: 300,
      createRetry: { initialDelay: 20, maxDelay: 100 },
    })
    const started = performance.now()
    const error = await pool.acquire().catch((e: unknown) => e)
    const waited = performance.now() - started
    expect(error).toMatchObject({ code: 'HOTPATH_DB_ACQUIRE_TIMEOUT', cause: boom })
    expect(waited).toBeGreaterThanOrEqual(290)
    expect(waited).toBeLessThan(2000)
    // Backoff: 20, 40, 80, 100, ... ms (halved jitter) -> a handful of attempts, never thousands.
    expect(attempts).toBeGreaterThanOrEqual(2)
    expect(attempts).toBeLessThan(20)
    expect(pool.stats()).toMatchObject({ timeouts: 1, pending: 0 })
  })

  it('uses one deadline timer for any number of waiters and publishes each timeout', async () => {
    await using pool = createPool({ name: 'many', create: () => ({}), max: 1, acquireTimeout: 100 })
    const held = await pool.acquire()
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const before = timers()
    const timeouts: { pool: string; waitMs: number }[] = []
    const onTimeout = (m: unknown) => timeouts.push(m as (typeof timeouts)[number])
    diagnostics_channel.subscribe('hotpath:db:pool:timeout', onTimeout)
    const waiters = Array.from({ length: 1000 }, () => pool.acquire().catch((e: { code: string }) => e.code))
    expect(timers() - before).toBeLessThanOrEqual(1)
    expect(pool.stats().pending).toBe(1000)
    const codes = await Promise.all(waiters)
    diagnostics_channel.unsubscribe('hotpath:db:pool:timeout', onTimeout)
    expect(new Set(codes)).toEqual(new Set(['HOTPATH_DB_ACQUIRE_TIMEOUT']))
    expect(timeouts).toHaveLength(1000)
    expect(timeouts[0]).toMatchObject({ pool: 'many' })
    expect(pool.stats()).toMatchObject({ pending: 0, timeouts: 1000 })
    held.release()
  })

  it('stops retrying creates once nobody needs a resource', async () => {
    let attempts = 0
    await using pool = createPool({
      create: () => {
        attempts++
        throw new Error('nope')
      },
      acquireTimeout: 50,
      createRetry: { initialDelay: 10, maxDelay: 10 },
    })
    await expect(pool.acquire()).rejects.toMatchObject({ code: 'HOTPATH_DB_ACQUIRE_TIMEOUT' })
    await sleep(30)
    const after = attempts
    await sleep(100)
    expect(attempts - after).toBeLessThanOrEqual(1)
  })

  it('fails fast with a coded error when maxWaiting callers already wait', async () => {
    await using pool = createPool({ create: () => ({}), max: 1, maxWaiting: 2, acquireTimeout: 1000 })
    const held = await pool.acquire()
    const w1 = pool.acquire()
    const w2 = pool.acquire()
    await expect(pool.acquire()).rejects.toMatchObject({ code: 'HOTPATH_DB_POOL_QUEUE_FULL' })
    held.release()
    ;(await w1).release()
    ;(await w2).release()
  })

  it('removes an idle resource that errors, without crashing, and replaces it for min', async () => {
    const c = counter()
    await using pool = createPool({ ...c, min: 1, max: 2 })
    await pool.ready()
    const errors: unknown[] = []
    const onError = (m: unknown) => errors.push(m)
    diagnostics_channel.subscribe('hotpath:db:pool:error', onError)
    const idle = await pool.acquire()
    const victim = idle.resource
    idle.release()
    expect(pool.invalidate(victim, new Error('socket closed'))).toBe(true)
    diagnostics_channel.unsubscribe('hotpath:db:pool:error', onError)
    expect(errors).toHaveLength(1)
    expect(c.destroyed).toContain(victim.id)
    await pool.ready()
    const next = await pool.acquire()
    expect(next.resource).not.toBe(victim)
    next.release()
    expect(pool.invalidate({ id: -1 })).toBe(false)
  })

  it('destroys a leased resource that was invalidated when it comes back', async () => {
    const c = counter()
    await using pool = createPool({ ...c, max: 1 })
    const lease = await pool.acquire()
    pool.invalidate(lease.resource, new Error('broken'))
    expect(c.destroyed).toHaveLength(0)
    lease.release()
    expect(c.destroyed).toEqual([lease.resource.id])
    expect(pool.stats().size).toBe(0)
  })

  it('throws a coded error on double release; lease.destroy() removes the resource', async () => {
    const c = counter()
    await using pool = createPool({ ...c, max: 2 })
    const lease = await pool.acquire()
    lease.release()
    expect(() => lease.release()).toThrow(expect.objectContaining({ code: 'HOTPATH_DB_LEASE_RELEASED' }))
    const other = await pool.acquire()
    other.destroy()
    expect(c.destroyed).toEqual([other.resource.id])
    expect(pool.stats()).toMatchObject({ size: 0, destroyed: 1 })
  })

  it('use() releases even when the callback throws', async () => {
    await using pool = createPool({ create: () => ({}), max: 1 })
    await expect(
      pool.use(() => {
        throw new Error('inside')
      }),
    ).rejects.toThrow('inside')
    expect(pool.stats()).toMatchObject({ used: 0, idle: 1 })
    expect(await pool.use(() => 42)).toBe(42)
  })

  it('useSync runs on an idle resource without a lease, returns busy otherwise, releases on throw', async () => {
    await using pool = createPool({ create: () => ({ n: 0 }), max: 1 })
    expect(pool.useSync((r, a: number, b: number) => r.n + a + b, 1, 2, -1)).toBe(-1) // nothing idle yet
    ;(await pool.acquire()).release()
    expect(pool.useSync((r, a: number, b: number) => r.n + a + b, 1, 2, -1)).toBe(3)
    expect(() =>
      pool.useSync(
        () => {
          throw new Error('sync boom')
        },
        0,
        0,
        -1,
      ),
    ).toThrow('sync boom')
    expect(pool.stats()).toMatchObject({ used: 0, idle: 1, size: 1 })
    const held = await pool.acquire()
    const waiter = pool.acquire()
    expect(pool.useSync(() => 1, 0, 0, -1)).toBe(-1)
    held.release()
    ;(await waiter).release()
    expect(pool.stats().useTime.count).toBe(5) // acquire, 2x useSync, held, waiter
  })

  it('acquireThen calls back synchronously on an idle resource, on hand-over, or with a coded error', async () => {
    await using pool = createPool({ create: () => ({ n: 1 }), max: 1, maxWaiting: 1, acquireTimeout: 50 })
    ;(await pool.acquire()).release()
    let got: Lease<{ n: number }> | undefined
    pool.acquireThen(
      (l) => {
        got = l
      },
      () => {},
    )
    expect(got).toBeDefined() // synchronous: an idle resource was ready
    let handed: Lease<{ n: number }> | undefined
    pool.acquireThen(
      (l) => {
        handed = l
      },
      () => {},
    )
    expect(handed).toBeUndefined()
    const errors: { code: string }[] = []
    pool.acquireThen(
      () => {},
      (e) => errors.push(e as { code: string }),
    )
    expect(errors).toEqual([expect.objectContaining({ code: 'HOTPATH_DB_POOL_QUEUE_FULL' })])
    got!.release()
    expect(handed).toBeDefined() // handed over inside release()
    const timedOut = new Promise((resolve) => pool.acquireThen(() => {}, resolve))
    expect(await timedOut).toMatchObject({ code: 'HOTPATH_DB_ACQUIRE_TIMEOUT' })
    handed!.release()
    await pool.close()
    pool.acquireThen(
      () => {},
      (e) => errors.push(e as { code: string }),
    )
    expect(errors[1]).toMatchObject({ code: 'HOTPATH_DB_POOL_CLOSED' })
  })

  it('publishes a leak warning with the acquiring stack', async () => {
    await using pool = createPool({ name: 'leaky', create: () => ({}), leakDetection: 40 })
    const leaks: { pool: string; heldMs: number; stack: string }[] = []
    const onLeak = (m: unknown) => leaks.push(m as (typeof leaks)[number])
    diagnostics_channel.subscribe('hotpath:db:pool:leak', onLeak)
    const warnings: Error[] = []
    const onWarning = (w: Error) => warnings.push(w)
    process.on('warning', onWarning)
    const lease = await pool.acquire()
    await sleep(120)
    diagnostics_channel.unsubscribe('hotpath:db:pool:leak', onLeak)
    process.off('warning', onWarning)
    lease.release()
    expect(leaks).toHaveLength(1)
    expect(leaks[0]!.pool).toBe('leaky')
    expect(leaks[0]!.heldMs).toBeGreaterThanOrEqual(40)
    expect(leaks[0]!.stack).toContain('pool.test.ts')
    expect(warnings.some((w) => (w as { code?: string }).code === 'HOTPATH_DB_LEAK')).toBe(true)
  })

  it('validates only after validateAfterIdle and replaces resources that fail validation', async () => {
    const c = counter()
    let validations = 0
    let healthy = true
    await using pool = createPool({
      ...c,
      max: 1,
      validateAfterIdle: 50,
      validate: () => {
        validations++
        return healthy
      },
    })
    const a = await pool.acquire()
    a.release()
    ;(await pool.acquire()).release() // idle < 50 ms: no validation
    expect(validations).toBe(0)
    await sleep(70)
    ;(await pool.acquire()).release()
    expect(validations).toBe(1)
    healthy = false
    await sleep(70)
    const lease = pool.acquire()
    await sleep(10)
    healthy = true
    const b = await lease
    expect(c.destroyed).toContain(a.resource.id)
    expect(b.resource.id).not.toBe(a.resource.id)
    b.release()
  })

  it('treats a hung validation as failed and still serves the caller within its deadline', async () => {
    const c = counter()
    let hang = false
    await using pool = createPool({
      ...c,
      max: 1,
      acquireTimeout: 400,
      validateAfterIdle: 0,
      validate: () => (hang ? new Promise<boolean>(() => {}) : true),
    })
    const first = await pool.acquire()
    first.release()
    hang = true
    const started = performance.now()
    const lease = await pool.acquire()
    expect(performance.now() - started).toBeLessThan(1500)
    expect(lease.resource.id).not.toBe(first.resource.id) // a fresh resource, lent without validation
    expect(c.destroyed).toEqual([first.resource.id])
    lease.release()
  })

  it('retires resources after maxLifetime (with jitter) and evicts idle ones above min', async () => {
    const c = counter()
    await using pool = createPool({ ...c, max: 2, maxLifetime: 60 })
    const a = await pool.acquire()
    a.release()
    await sleep(80)
    const b = await pool.acquire()
    expect(b.resource.id).not.toBe(a.resource.id)
    b.release()
    const d = counter()
    await using idlePool = createPool({ ...d, min: 1, max: 3, idleTimeout: 40 })
    const leases = await Promise.all([idlePool.acquire(), idlePool.acquire(), idlePool.acquire()])
    for (const l of leases) l.release()
    expect(idlePool.stats().idle).toBe(3)
    await sleep(150)
    expect(idlePool.stats().size).toBe(1)
  })

  it('caps creates in flight by demand', async () => {
    let inFlight = 0
    let maxInFlight = 0
    await using pool = createPool({
      create: async () => {
        inFlight++
        maxInFlight = Math.max(maxInFlight, inFlight)
        await sleep(20)
        inFlight--
        return {}
      },
      max: 10,
    })
    const leases = await Promise.all([pool.acquire(), pool.acquire()])
    expect(maxInFlight).toBe(2)
    for (const l of leases) l.release()
    expect(pool.stats().size).toBe(2)
  })

  it('drain waits for leases; close rejects waiters and new work, is idempotent and disposes', async () => {
    const c = counter()
    const pool = createPool({ ...c, max: 1, acquireTimeout: 5000 })
    const lease = await pool.acquire()
    let drained = false
    const drain = pool.drain().then(() => {
      drained = true
    })
    await sleep(10)
    expect(drained).toBe(false)
    lease.release()
    await drain
    expect(drained).toBe(true)
    const held = await pool.acquire()
    const waiter = pool.acquire()
    const closing = pool.close()
    expect(pool.close()).toBe(closing)
    await expect(waiter).rejects.toMatchObject({ code: 'HOTPATH_DB_POOL_CLOSED' })
    await expect(pool.acquire()).rejects.toMatchObject({ code: 'HOTPATH_DB_POOL_CLOSED' })
    held.release()
    await closing
    expect(c.destroyed).toEqual(c.made)
    await pool[Symbol.asyncDispose]()
    expect(pool.closed).toBe(true)
  })

  it('close() waits for creates in flight and destroys what they create', async () => {
    const c = counter()
    const pool = createPool({
      create: async () => {
        await sleep(50)
        return c.create()
      },
      destroy: c.destroy,
      min: 2,
    })
    await pool.close()
    expect(c.made).toHaveLength(2)
    expect(c.destroyed).toEqual(c.made)
  })

  it('ready() rejects after acquireTimeout with the create error as cause', async () => {
    const boom = new Error('down')
    await using pool = createPool({ create: () => Promise.reject(boom), min: 1, acquireTimeout: 100 })
    await expect(pool.ready()).rejects.toMatchObject({ code: 'HOTPATH_DB_ACQUIRE_TIMEOUT', cause: boom })
  })

  it('keeps wait and use time statistics and publishes acquire/release events', async () => {
    await using pool = createPool({ name: 'timed', create: () => ({}), max: 1 })
    const events: string[] = []
    const onAcquire = () => events.push('acquire')
    const onRelease = () => events.push('release')
    diagnostics_channel.subscribe('hotpath:db:pool:acquire', onAcquire)
    diagnostics_channel.subscribe('hotpath:db:pool:release', onRelease)
    const a = await pool.acquire()
    const waiting = pool.acquire()
    await sleep(20)
    a.release()
    const b: Lease<object> = await waiting
    await sleep(10)
    b.release()
    diagnostics_channel.unsubscribe('hotpath:db:pool:acquire', onAcquire)
    diagnostics_channel.unsubscribe('hotpath:db:pool:release', onRelease)
    const s = pool.stats()
    expect(s.waitTime.count).toBe(2)
    expect(s.waitTime.maxMs).toBeGreaterThanOrEqual(15)
    expect(s.useTime.count).toBe(2)
    expect(s.useTime.totalMs).toBeGreaterThanOrEqual(25)
    expect(events).toEqual(['acquire', 'release', 'acquire', 'release'])
  })
})
