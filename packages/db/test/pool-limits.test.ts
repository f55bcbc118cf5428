// Pool limits: a hung create, invalid per-call timeouts, AbortSignal, and the pool state in timeouts.
// Fake time throughout.
import { HotpathError } from '@hotpath/core'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPool } from '../src/index.ts'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('pool limits', () => {
  it('createTimeout: a create that never settles does not wedge a max 1 pool', async () => {
    let calls = 0
    const late: { id: number }[] = []
    await using pool = createPool({
      max: 1,
      create: () => (++calls === 1 ? new Promise<{ id: number }>(() => {}) : { id: calls }),
      destroy: (r) => {
        late.push(r)
      },
      createTimeout: 100,
      acquireTimeout: 1_000,
      failFast: false,
      createRetry: { initialDelay: 10, maxDelay: 10 },
    })
    const p = pool.acquire()
    await vi.advanceTimersByTimeAsync(200)
    const lease = await p
    expect(lease.resource).toEqual({ id: 2 })
    lease.release()
  })

  it('createTimeout: with failFast the waiter learns of the hung create with a coded cause', async () => {
    await using pool = createPool({ max: 1, create: () => new Promise(() => {}), createTimeout: 100 })
    const p = pool.acquire().catch((e: unknown) => e)
    await vi.advanceTimersByTimeAsync(101)
    const error = (await p) as HotpathError
    expect(error).toMatchObject({ code: 'HOTPATH_DB_CREATE_FAILED' })
    expect((error.cause as HotpathError).code).toBe('HOTPATH_DB_CREATE_TIMEOUT')
  })

  it.each([Number.NaN, Number.POSITIVE_INFINITY, 'abc', -1, 0])(
    'acquire({ timeout: %s }) is an invalid option',
    async (timeout) => {
      await using pool = createPool({ create: () => ({}), max: 1 })
      const held = await pool.acquire()
      await expect(pool.acquire({ timeout: timeout as number })).rejects.toMatchObject({
        code: 'HOTPATH_DB_INVALID_OPTION',
        details: { option: 'timeout' },
      })
      const errors: unknown[] = []
      pool.acquireThen(
        () => {},
        (e) => errors.push(e),
        { timeout: timeout as number },
      )
      expect(errors).toMatchObject([{ code: 'HOTPATH_DB_INVALID_OPTION' }])
      expect(pool.stats().pending).toBe(0)
      held.release()
    },
  )

  it('acquire({ signal }): an abort rejects the waiter at once and leaves the queue', async () => {
    await using pool = createPool({ create: () => ({}), max: 1 })
    const held = await pool.acquire()
    const ac = new AbortController()
    const p = pool.acquire({ signal: ac.signal }).catch((e: unknown) => e)
    expect(pool.stats().pending).toBe(1)
    ac.abort(new Error('client went away'))
    const error = (await p) as HotpathError
    expect(error).toBeInstanceOf(HotpathError)
    expect(error.code).toBe('HOTPATH_DB_ABORTED')
    expect((error.cause as Error).message).toBe('client went away')
    expect(pool.stats().pending).toBe(0)
    // An already aborted signal: rejected without queueing.
    await expect(pool.acquire({ signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'HOTPATH_DB_ABORTED',
    })
    held.release()
    // The released resource is idle, not handed to the aborted waiter.
    expect(pool.stats()).toMatchObject({ idle: 1, used: 0 })
  })

  it('AcquireTimeoutError carries the pool state (size, idle, used, waiting)', async () => {
    await using pool = createPool({ name: 'p', create: () => ({}), max: 1, acquireTimeout: 100 })
    const held = await pool.acquire()
    const a = pool.acquire().catch((e: unknown) => e)
    const b = pool.acquire({ timeout: 500 }).catch((e: unknown) => e)
    await vi.advanceTimersByTimeAsync(101)
    const error = (await a) as HotpathError
    expect(error.code).toBe('HOTPATH_DB_ACQUIRE_TIMEOUT')
    expect(error.details).toMatchObject({ pool: 'p', size: 1, idle: 0, used: 1, waiting: 1 })
    expect(error.message).toMatch(/size 1, idle 0, used 1, waiting 1/)
    held.release()
    ;((await b) as { release(): void }).release()
  })
})
