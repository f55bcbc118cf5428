// A server that is down fails callers quickly (failFast) with the connect error as cause; db.ready()
// checks start-up with a deadline. Pool logic on fake time; the unreachable server is a real closed port.
import { HotpathError } from '@hotpath/core'
import { freePort, postgresUrl, requirePostgres } from '@hotpath/test-helpers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createDatabase, createPool, postgres } from '../src/index.ts'

afterEach(() => {
  vi.useRealTimers()
})

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })

describe('failFast', () => {
  it('rejects waiters at the first failing create when the pool holds no resource', async () => {
    vi.useFakeTimers()
    const pool = createPool({ create: () => Promise.reject(refused()), acquireTimeout: 30_000 })
    const p = pool.acquire()
    const settled = p.then(
      () => 'resolved',
      (e: unknown) => e,
    )
    await vi.advanceTimersByTimeAsync(1)
    const error = (await Promise.race([settled, Promise.resolve('pending')])) as HotpathError
    expect(error).toBeInstanceOf(HotpathError)
    expect(error.code).toBe('HOTPATH_DB_CREATE_FAILED')
    expect((error.cause as { code?: string }).code).toBe('ECONNREFUSED')
    await pool.close()
  })

  it('failFast: false keeps the caller waiting (retrying) until acquireTimeout', async () => {
    vi.useFakeTimers()
    let calls = 0
    const pool = createPool({
      create: () => (++calls < 4 ? Promise.reject(refused()) : { ok: true }),
      acquireTimeout: 30_000,
      failFast: false,
      createRetry: { initialDelay: 10, maxDelay: 10 },
    })
    const p = pool.acquire()
    await vi.advanceTimersByTimeAsync(100)
    const lease = await p
    expect(lease.resource).toEqual({ ok: true })
    lease.release()
    await pool.close()
  })

  it('does not fail waiters while a resource exists (a busy pool, not a down server)', async () => {
    vi.useFakeTimers()
    let calls = 0
    const pool = createPool({
      max: 2,
      create: () => (++calls === 1 ? { id: 1 } : Promise.reject(refused())),
      acquireTimeout: 1_000,
    })
    const first = await pool.acquire()
    const second = pool.acquire()
    await vi.advanceTimersByTimeAsync(20)
    first.release()
    expect((await second).resource).toEqual({ id: 1 })
    ;(await second).release()
    await pool.close()
  })
})

describe('PostgreSQL down', () => {
  it('db.query() against a refused port fails with the connect error as cause, long before acquireTimeout', async () => {
    const port = await freePort()
    const db = createDatabase({
      driver: postgres({ connectionString: `postgres://postgres@127.0.0.1:${port}/test` }),
    })
    const t0 = performance.now()
    const error = (await db.query('SELECT 1').catch((e: unknown) => e)) as HotpathError
    const elapsed = performance.now() - t0
    expect(error).toBeInstanceOf(HotpathError)
    expect(error.code).toBe('HOTPATH_DB_CREATE_FAILED')
    expect((error.cause as { code?: string }).code).toBe('ECONNREFUSED')
    // The default acquireTimeout is 30 s: a third of it is a generous bound for "quickly".
    expect(elapsed).toBeLessThan(10_000)
    await db.close()
  })

  it('db.ready() rejects with HOTPATH_DB_NOT_READY after its deadline, cause the connect error', async () => {
    const port = await freePort()
    const db = createDatabase({
      driver: postgres({ connectionString: `postgres://postgres@127.0.0.1:${port}/test` }),
    })
    const error = (await db.ready({ timeout: 300 }).catch((e: unknown) => e)) as HotpathError
    expect(error).toBeInstanceOf(HotpathError)
    expect(error.code).toBe('HOTPATH_DB_NOT_READY')
    expect((error.cause as { code?: string }).code).toBe('ECONNREFUSED')
    await db.close()
  })

  it('db.ready() resolves once the server answers', async (ctx) => {
    if (!(await requirePostgres())) ctx.skip()
    const db = createDatabase({ driver: postgres({ connectionString: postgresUrl() }) })
    await expect(db.ready()).resolves.toBeUndefined()
    await db.close()
  })

  it('db.ready() on SQLite resolves', async () => {
    const db = createDatabase()
    await expect(db.ready()).resolves.toBeUndefined()
    await db.close()
  })
})
