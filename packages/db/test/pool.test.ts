// Pool logic tests. Time is fake (vi.useFakeTimers drives setTimeout/setInterval and the pool's
// default clock, which reads performance.now()): idle timeout, max lifetime, validateAfterIdle,
// create backoff, acquire deadlines and leak detection are decided without a single real sleep.
import { HotpathError } from '@hotpath/core'
import { capture } from '@hotpath/test-helpers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPool, InvalidOptionError, type Lease } from '../src/index.ts'

let nextId = 0
const counter = () => {
  const made: number[] = []
  const destroyed: number[] = []
  return {
    made,
    destroyed,
    /** The options part: spread into createPool (which rejects unknown keys). */
    hooks: {
      create: () => {
        const id = ++nextId
        made.push(id)
        return { id }
      },
      destroy: (r: { id: number }) => {
        destroyed.push(r.id)
      },
    },
  }
}

/** A promise settled by hand (no timers). */
const gate = () => {
  let open!: () => void
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { opened, open }
}

/** Lets process.nextTick callbacks and promise reactions run (nextTick is not faked). */
const ticks = () => new Promise<void>((resolve) => process.nextTick(resolve))

describe('createPool options', () => {
  it('rejects bad options naming the option, the value and what is allowed', () => {
    expect(() => createPool({ create: undefined as never })).toThrow(/"create".*a function/)
    expect(() => createPool({ create: () => 1, max: 0 })).toThrow(
      'invalid option "max": received 0, expected an integer >= 1',
    )
    expect(() => createPool({ create: () => 1, min: 5, max: 2 })).toThrow(/"min"/)
    expect(() => createPool({ create: () => 1, acquireTimeout: Number.POSITIVE_INFINITY })).toThrow(
      /acquireTimeout/,
    )
    expect(() => createPool({ create: () => 1, maxWaiting: -1 })).toThrow(/maxWaiting/)
    expect(() => createPool({ create: () => 1, clock: { now: () => 0 } as never })).toThrow(/"clock"/)
    expect(() => createPool({ create: () => 1, acquireTimeoutMs: 5 } as never)).toThrow(
      /"options.acquireTimeoutMs".*no such option/,
    )
    expect(() => createPool({ create: () => 1, idleTimeout: 'x' as never })).toThrow(
      expect.objectContaining({
        code: 'HOTPATH_DB_INVALID_OPTION',
        details: { option: 'idleTimeout', received: 'x', expected: 'a finite number >= 0' },
      }),
    )
    expect(() => createPool({ create: () => 1, idleTimeout: 'x' as never })).toThrow(InvalidOptionError)
    expect(() => createPool({ create: () => 1, idleTimeout: 'x' as never })).toThrow(HotpathError)
  })
})

describe('pool behaviour', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.restoreAllMocks()
    vi.useRealTimers()
  })

  it('warms up min resources and reuses idle ones LIFO', async () => {
    const c = counter()
    await using pool = createPool({ ...c.hooks, min: 3, max: 5 })
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
    await using pool = createPool({ ...c.hooks, max: 1 })
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

  it('times out waiters with a coded error and the create error as cause, retrying with backoff', async () => {
    // Jitter pinned to the middle: each retry waits 0.75 x min(maxDelay, initialDelay x 2^n).
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
    const attempts: number[] = []
    const boom = new Error('connect ECONNREFUSED')
    await using pool = createPool({
      create: () => {
        attempts.push(performance.now())
        return Promise.reject(boom)
      },
      acquireTimeout: 300,
      failFast: false,
      createRetry: { initialDelay: 20, maxDelay: 100 },
    })
    const start = performance.now()
    let settled = false
    const result = pool.acquire().then(
      () => 'granted',
      (e: unknown) => {
        settled = true
        return e
      },
    )
    await vi.advanceTimersByTimeAsync(299)
    expect(settled).toBe(false) // the deadline is not early...
    await vi.advanceTimersByTimeAsync(2)
    const error = await result // ...nor late
    expect(error).toBeInstanceOf(HotpathError)
    expect(error).toMatchObject({ code: 'HOTPATH_DB_ACQUIRE_TIMEOUT', cause: boom })
    expect((error as HotpathError).details?.waitMs).toBeGreaterThanOrEqual(300)
    // Backoff 15, 30, 60, 75, 75 ms: attempts at 0, 15, 45, 105, 180, 255 (never a busy loop).
    expect(attempts.map((t) => t - start)).toEqual([0, 15, 45, 105, 180, 255])
    expect(pool.stats()).toMatchObject({ timeouts: 1, pending: 0 })
  })

  it('uses one deadline timer for any number of waiters and publishes each timeout', async () => {
    await using pool = createPool({ name: 'many', create: () => ({}), max: 1, acquireTimeout: 100 })
    const held = await pool.acquire()
    const before = vi.getTimerCount()
    const timeouts = capture<{ pool: string; waitMs: number; pending: number }>('hotpath:db:pool:timeout')
    const waiters = Array.from({ length: 1000 }, () => pool.acquire().catch((e: { code: string }) => e.code))
    // The first acquire armed the deadline timer; a thousand later deadlines arm nothing more.
    expect(vi.getTimerCount() - before).toBeLessThanOrEqual(1)
    expect(pool.stats().pending).toBe(1000)
    await vi.advanceTimersByTimeAsync(101)
    const codes = await Promise.all(waiters)
    timeouts.stop()
    expect(new Set(codes)).toEqual(new Set(['HOTPATH_DB_ACQUIRE_TIMEOUT']))
    expect(timeouts.messages).toHaveLength(1000)
    expect(timeouts.messages[0]).toMatchObject({ pool: 'many', waitMs: 101 })
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
      failFast: false,
      createRetry: { initialDelay: 10, maxDelay: 10 },
    })
    const waiting = expect(pool.acquire()).rejects.toMatchObject({ code: 'HOTPATH_DB_ACQUIRE_TIMEOUT' })
    await vi.advanceTimersByTimeAsync(51)
    await waiting
    expect(attempts).toBeGreaterThanOrEqual(5) // 0, then every 5-10 ms for 50 ms
    await vi.advanceTimersByTimeAsync(10) // a retry armed before the deadline may still fire (no create)
    const after = attempts
    await vi.advanceTimersByTimeAsync(10_000)
    expect(attempts).toBe(after)
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
    await using pool = createPool({ ...c.hooks, min: 1, max: 2 })
    await pool.ready()
    const errors = capture('hotpath:db:pool:error')
    const idle = await pool.acquire()
    const victim = idle.resource
    idle.release()
    expect(pool.invalidate(victim, new Error('socket closed'))).toBe(true)
    errors.stop()
    expect(errors.messages).toHaveLength(1)
    expect(c.destroyed).toContain(victim.id)
    await pool.ready()
    const next = await pool.acquire()
    expect(next.resource).not.toBe(victim)
    next.release()
    expect(pool.invalidate({ id: -1 })).toBe(false)
  })

  it('destroys a leased resource that was invalidated when it comes back', async () => {
    const c = counter()
    await using pool = createPool({ ...c.hooks, max: 1 })
    const lease = await pool.acquire()
    pool.invalidate(lease.resource, new Error('broken'))
    expect(c.destroyed).toHaveLength(0)
    lease.release()
    expect(c.destroyed).toEqual([lease.resource.id])
    expect(pool.stats().size).toBe(0)
  })

  it('throws a coded error on double release; lease.destroy() removes the resource', async () => {
    const c = counter()
    await using pool = createPool({ ...c.hooks, max: 2 })
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
    await vi.advanceTimersByTimeAsync(51)
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
    const leaks = capture<{ pool: string; heldMs: number; stack: string }>('hotpath:db:pool:leak')
    const warnings: Error[] = []
    const onWarning = (w: Error) => warnings.push(w)
    process.on('warning', onWarning)
    try {
      const lease = await pool.acquire()
      await vi.advanceTimersByTimeAsync(39)
      expect(leaks.messages).toHaveLength(0) // not before leakDetection
      await vi.advanceTimersByTimeAsync(100)
      await ticks() // process.emitWarning emits on the next tick
      lease.release()
    } finally {
      leaks.stop()
      process.off('warning', onWarning)
    }
    expect(leaks.messages).toHaveLength(1) // reported once, however long it is held
    expect(leaks.messages[0]!.pool).toBe('leaky')
    expect(leaks.messages[0]!.heldMs).toBeGreaterThanOrEqual(40)
    expect(leaks.messages[0]!.stack).toContain('pool.test.ts')
    expect(warnings.some((w) => (w as { code?: string }).code === 'HOTPATH_DB_LEAK')).toBe(true)
  })

  it('validates only after validateAfterIdle and replaces resources that fail validation', async () => {
    const c = counter()
    let validations = 0
    let healthy = true
    await using pool = createPool({
      ...c.hooks,
      max: 1,
      validateAfterIdle: 50,
      validate: () => {
        validations++
        return healthy
      },
    })
    const a = await pool.acquire()
    a.release()
    await vi.advanceTimersByTimeAsync(49)
    ;(await pool.acquire()).release() // idle < 50 ms: no validation
    expect(validations).toBe(0)
    await vi.advanceTimersByTimeAsync(50)
    ;(await pool.acquire()).release()
    expect(validations).toBe(1)
    healthy = false
    await vi.advanceTimersByTimeAsync(50)
    const b = await pool.acquire() // validation fails: a fresh resource, lent without validation
    expect(validations).toBe(2)
    expect(c.destroyed).toEqual([a.resource.id])
    expect(b.resource.id).not.toBe(a.resource.id)
    b.release()
  })

  it('treats a hung validation as failed and still serves the caller within its deadline', async () => {
    const c = counter()
    let hang = false
    await using pool = createPool({
      ...c.hooks,
      max: 1,
      acquireTimeout: 400,
      validateAfterIdle: 0,
      validate: () => (hang ? new Promise<boolean>(() => {}) : true),
    })
    const first = await pool.acquire()
    first.release()
    hang = true
    let lease: Lease<{ id: number }> | undefined
    const acquiring = pool.acquire().then((l) => {
      lease = l
    })
    await vi.advanceTimersByTimeAsync(199)
    expect(lease).toBeUndefined() // validation gets half the deadline...
    await vi.advanceTimersByTimeAsync(1)
    await acquiring // ...then a fresh resource is lent without validation, well within the 400 ms
    expect(lease!.resource.id).not.toBe(first.resource.id)
    expect(c.destroyed).toEqual([first.resource.id])
    lease!.release()
  })

  it('retires resources after maxLifetime (with jitter) and evicts idle ones above min', async () => {
    const c = counter()
    await using pool = createPool({ ...c.hooks, max: 2, maxLifetime: 60_000 })
    const a = await pool.acquire()
    a.release()
    await vi.advanceTimersByTimeAsync(58_000) // before the earliest jittered expiry (60 s - 2.5 %)
    const same = await pool.acquire()
    expect(same.resource.id).toBe(a.resource.id)
    same.release()
    await vi.advanceTimersByTimeAsync(2_000)
    expect(c.destroyed).toEqual([a.resource.id]) // retired by maintenance, not by a caller
    const b = await pool.acquire()
    expect(b.resource.id).not.toBe(a.resource.id)
    b.release()
    const d = counter()
    await using idlePool = createPool({ ...d.hooks, min: 1, max: 3, idleTimeout: 40 })
    const leases = await Promise.all([idlePool.acquire(), idlePool.acquire(), idlePool.acquire()])
    for (const l of leases) l.release()
    expect(idlePool.stats().idle).toBe(3)
    await vi.advanceTimersByTimeAsync(39)
    expect(idlePool.stats().size).toBe(3)
    await vi.advanceTimersByTimeAsync(100) // one maintenance pass after 40 ms idle
    expect(idlePool.stats().size).toBe(1)
    expect(d.destroyed).toHaveLength(2)
  })

  it('reads an injected clock for lifetimes and idle validation', async () => {
    vi.useRealTimers() // no timer fires in this test: the pool's decisions read the manual clock only
    let t = 1_000
    const clock = { now: () => t, epoch: () => 1_700_000_000_000 + t }
    const c = counter()
    let validations = 0
    await using pool = createPool({
      ...c.hooks,
      clock,
      max: 1,
      maxLifetime: 1_000_000,
      validateAfterIdle: 100,
      validate: () => {
        validations++
        return true
      },
    })
    const a = await pool.acquire()
    t += 50
    a.release()
    expect(pool.stats().useTime.totalMs).toBe(50)
    t += 99
    ;(await pool.acquire()).release()
    expect(validations).toBe(0)
    t += 100
    ;(await pool.acquire()).release()
    expect(validations).toBe(1)
    t += 1_000_000 // past the lifetime: the next caller gets a fresh resource
    const b = await pool.acquire()
    expect(b.resource.id).not.toBe(a.resource.id)
    expect(c.destroyed).toEqual([a.resource.id])
    b.release()
  })

  it('caps creates in flight by demand', async () => {
    let inFlight = 0
    let maxInFlight = 0
    const g = gate()
    await using pool = createPool({
      create: async () => {
        inFlight++
        maxInFlight = Math.max(maxInFlight, inFlight)
        await g.opened
        inFlight--
        return {}
      },
      max: 10,
    })
    const acquiring = Promise.all([pool.acquire(), pool.acquire()])
    expect(inFlight).toBe(2)
    g.open()
    const leases = await acquiring
    expect(maxInFlight).toBe(2)
    for (const l of leases) l.release()
    expect(pool.stats().size).toBe(2)
  })

  it('drain waits for leases; close rejects waiters and new work, is idempotent and disposes', async () => {
    const c = counter()
    const pool = createPool({ ...c.hooks, max: 1, acquireTimeout: 5000 })
    const lease = await pool.acquire()
    let drained = false
    const drain = pool.drain().then(() => {
      drained = true
    })
    await ticks()
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
        await new Promise((resolve) => setTimeout(resolve, 50))
        return c.hooks.create()
      },
      destroy: c.hooks.destroy,
      min: 2,
    })
    let closed = false
    const closing = pool.close().then(() => {
      closed = true
    })
    await vi.advanceTimersByTimeAsync(49)
    expect(closed).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    await closing
    expect(c.made).toHaveLength(2)
    expect(c.destroyed).toEqual(c.made)
  })

  it('ready() rejects after acquireTimeout with the create error as cause', async () => {
    const boom = new Error('down')
    await using pool = createPool({ create: () => Promise.reject(boom), min: 1, acquireTimeout: 100 })
    const ready = expect(pool.ready()).rejects.toMatchObject({
      code: 'HOTPATH_DB_ACQUIRE_TIMEOUT',
      cause: boom,
    })
    await vi.advanceTimersByTimeAsync(100)
    await ready
  })

  it('keeps wait and use time statistics and publishes acquire/release events', async () => {
    await using pool = createPool({ name: 'timed', create: () => ({}), max: 1 })
    const acquired = capture<{ pool: string; waitMs: number }>('hotpath:db:pool:acquire')
    const released = capture<{ pool: string; useMs: number }>('hotpath:db:pool:release')
    const a = await pool.acquire()
    const waiting = pool.acquire()
    await vi.advanceTimersByTimeAsync(20)
    a.release()
    const b: Lease<object> = await waiting
    await vi.advanceTimersByTimeAsync(10)
    b.release()
    acquired.stop()
    released.stop()
    const s = pool.stats()
    expect(s.waitTime).toEqual({ count: 2, totalMs: 20, maxMs: 20 })
    expect(s.useTime).toEqual({ count: 2, totalMs: 30, maxMs: 20 })
    expect(acquired.messages).toEqual([
      { pool: 'timed', waitMs: 0 },
      { pool: 'timed', waitMs: 20 },
    ])
    expect(released.messages).toEqual([
      { pool: 'timed', useMs: 20 },
      { pool: 'timed', useMs: 10 },
    ])
  })
})
