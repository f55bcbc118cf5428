// Randomised pool torture: thousands of acquire / release / destroy / throw / timeout / invalidate
// operations with a seeded PRNG, checking the pool's invariants after every step.
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises'
import { seededRandom } from '@hotpath/test-helpers'
import { describe, expect, it } from 'vitest'
import { createPool, type Lease } from '../src/index.ts'

interface Res {
  id: number
  alive: boolean
}

async function torture(seed: number, steps: number): Promise<{ granted: number; timeouts: number }> {
  const rnd = seededRandom(seed)
  const max = 1 + Math.floor(rnd() * 4)
  const live = new Set<Res>()
  let ids = 0
  let created = 0
  let destroyedCount = 0
  const pool = createPool<Res>({
    name: `torture-${seed}`,
    max,
    min: Math.floor(rnd() * (max + 1)),
    acquireTimeout: 15 + Math.floor(rnd() * 30),
    maxWaiting: 50,
    createRetry: { initialDelay: 1, maxDelay: 5 },
    // Even seeds also test-on-borrow: validations that fail, throw or take a tick.
    ...(seed % 2 === 0
      ? {
          validateAfterIdle: 1,
          validate: async (r: Res) => {
            expect(r.alive).toBe(true)
            if (rnd() < 0.3) await tick()
            const x = rnd()
            if (x < 0.05) throw new Error('validate threw')
            return x > 0.15
          },
        }
      : {}),
    create: async () => {
      if (rnd() < 0.3) await tick()
      if (rnd() < 0.1) throw new Error('create failed')
      const r = { id: ++ids, alive: true }
      live.add(r)
      created++
      return r
    },
    destroy: (r) => {
      expect(r.alive).toBe(true)
      r.alive = false
      live.delete(r)
      destroyedCount++
    },
  })
  const held = new Map<Res, Lease<Res>>()
  const inFlight = new Set<Promise<unknown>>()
  const granted: number[] = []
  let seq = 0
  let issued = 0
  let rejected = 0

  const check = () => {
    const s = pool.stats()
    expect(s.size).toBeLessThanOrEqual(max)
    // Granted leases reach `held` one microtask later, and use() holds leases of its own.
    expect(s.used).toBeGreaterThanOrEqual(held.size)
    expect(s.used).toBeLessThanOrEqual(max)
    expect(s.idle + s.used).toBe(s.size)
    // Created resources the pool has not placed yet are in flight: size <= live <= max.
    expect(live.size).toBeGreaterThanOrEqual(s.size)
    expect(live.size).toBeLessThanOrEqual(max)
    expect(s.pending).toBeGreaterThanOrEqual(0)
    for (const r of held.keys()) expect(r.alive).toBe(true)
  }

  const acquire = () => {
    const n = ++seq
    issued++
    const p = pool.acquire().then(
      (lease) => {
        expect(held.has(lease.resource)).toBe(false) // never lent twice
        held.set(lease.resource, lease)
        granted.push(n)
      },
      (error: { code?: string }) => {
        rejected++
        expect(['HOTPATH_DB_ACQUIRE_TIMEOUT', 'HOTPATH_DB_POOL_QUEUE_FULL']).toContain(error.code)
      },
    )
    const tracked = p.finally(() => {
      inFlight.delete(tracked)
    })
    inFlight.add(tracked)
  }

  for (let step = 0; step < steps; step++) {
    const r = rnd()
    if (r < 0.4) acquire()
    else if (r < 0.65 && held.size > 0) {
      const [res, lease] = [...held][Math.floor(rnd() * held.size)]!
      held.delete(res)
      lease.release()
    } else if (r < 0.72 && held.size > 0) {
      const [res, lease] = [...held][Math.floor(rnd() * held.size)]!
      held.delete(res)
      lease.destroy(new Error('broken'))
    } else if (r < 0.8) {
      const p = pool
        .use(async (res) => {
          expect(res.alive).toBe(true)
          if (rnd() < 0.5) throw new Error('user code threw')
          return res.id
        })
        .catch(() => undefined)
      inFlight.add(p)
      void p.finally(() => inFlight.delete(p))
    } else if (r < 0.83 && live.size > 0) {
      const victim = [...live][Math.floor(rnd() * live.size)]!
      pool.invalidate(victim, new Error('idle error')) // a leased victim is destroyed when released
    } else if (r < 0.9) {
      await sleep(rnd() * 5)
    } else {
      await tick()
    }
    check()
  }

  // Give everything back; every waiter must settle (granted or timed out) within its deadline.
  const deadline = Date.now() + 5_000
  while ((inFlight.size > 0 || held.size > 0) && Date.now() < deadline) {
    for (const [res, lease] of held) {
      held.delete(res)
      lease.release()
    }
    await sleep(2)
    check()
  }
  expect(inFlight.size).toBe(0)
  expect(granted.length + rejected).toBe(issued) // every waiter settled, once
  expect(pool.stats()).toMatchObject({ used: 0, pending: 0 })
  // FIFO: waiters are granted in the order they asked. (With test-on-borrow, a caller whose idle
  // resource is being validated is not waiting in the queue, so later callers may pass it.)
  if (seed % 2 === 1)
    for (let i = 1; i < granted.length; i++) expect(granted[i]!).toBeGreaterThan(granted[i - 1]!)
  const { timeouts } = pool.stats()
  await pool.close()
  expect(live.size).toBe(0)
  expect(destroyedCount).toBe(created)
  return { granted: granted.length, timeouts }
}

describe('pool torture', () => {
  it('keeps its invariants over thousands of random operations', { timeout: 60_000 }, async () => {
    let granted = 0
    let timeouts = 0
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const r = await torture(seed, 700)
      granted += r.granted
      timeouts += r.timeouts
    }
    // The run really exercised both outcomes.
    expect(granted).toBeGreaterThan(500)
    expect(timeouts).toBeGreaterThan(0)
  })
})
