// Accuracy against a local server process with a known, seeded delay distribution, in both models.
//
// The reported percentiles are judged against the target server's own record of each request's service time
// (request arrival to response written), never against a fixed wall-clock bound: on a busy machine the server's
// timers fire late too, and that lateness is in its record. For every request, reported latency = service time
// + overhead, with 0 <= overhead <= allowance, where the allowance is the bare round trip (measured at the same
// load) plus the worst event-loop delays the generator and the server themselves saw during the run. Since the
// generator completed exactly the requests the server served, every order statistic then obeys
//   true p <= reported p <= true p + allowance
// (give or take the histogram's 3 significant digits).
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { afterEach, describe, expect, it } from 'vitest'
import type { LoadOptions } from '../src/options.ts'
import type { LoadResult } from '../src/result.ts'
import { runLoad } from '../src/run.ts'
import { percentile, startTarget, type TargetConfig, type TargetProcess } from './servers.ts'

let target: TargetProcess | undefined
afterEach(async () => {
  await target?.close()
  target = undefined
})

interface Judged {
  r: LoadResult
  /** Percentiles of the server's own record of the same requests, ms. */
  truth: Record<'p50' | 'p90' | 'p99' | 'p99_9' | 'max', number>
  /** Most a request's reported latency may exceed its service time, ms. */
  allowance: number
  info: string
}

/** Runs the generator while both sides watch their event loops; returns the result and the server's record. */
async function judged(
  config: TargetConfig,
  options: Omit<LoadOptions, 'url'>,
  roundTrip: number,
): Promise<Judged> {
  target = await startTarget(config)
  const loop = monitorEventLoopDelay({ resolution: 1 })
  loop.enable()
  let r: LoadResult
  try {
    r = await runLoad({ url: target.origin, ...options })
  } finally {
    loop.disable()
  }
  const stats = await target.stats()
  const generatorDelay = loop.max / 1e6
  // A request can meet two stalls of the generator: one between its send time and the socket write (in the open
  // model, the scheduled send held back), and one before its response is read. (One was allowed for the closed
  // model before: a starved run once reported a max 1.5 ms above that bound, with a 12 ms generator stall.)
  const allowance = roundTrip + 2 * generatorDelay + stats.loopDelayMaxMs
  const s = stats.serviceMs
  const truth = {
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    p99_9: percentile(s, 99.9),
    max: percentile(s, 100),
  }
  const info = JSON.stringify({
    reported: r.latency,
    truth,
    allowance,
    roundTrip,
    generatorDelay,
    serverDelay: stats.loopDelayMaxMs,
    requests: r.requests,
    served: stats.served,
    errors: r.errors,
  })
  expect(r.errors, info).toEqual({})
  // The same requests on both sides: what makes the order statistics comparable.
  expect(r.requests.completed, info).toBe(stats.served)
  expect(s.length, info).toBe(stats.served)
  return { r, truth, allowance, info }
}

/**
 * true p <= reported p <= true p + allowance, for p50 .. p99.9 (3 significant digits of the histogram); the max is
 * held to the lower bound only. Open model: latency counts from the intended send time, so when the generator could
 * not keep the schedule (a starved CPU) the wait for the send is real latency beyond any stall bound; it may then
 * exceed the allowance only if the generator also reported those sends as late.
 * Why not the max's upper bound: it is one request, and on a machine with more runnable processes than cores the
 * kernel can hold a process between a socket becoming readable and its next turn without either event loop's delay
 * monitor seeing all of it (seen in CI with a busy core: one max 18 ms beyond the allowance; p99.9 within it).
 */
function expectFaithful({ r, truth, allowance, info }: Judged): void {
  for (const p of ['p50', 'p90', 'p99', 'p99_9', 'max'] as const) {
    const reported = r.latency[p]
    expect(reported, `${p} below the server's own service time: ${info}`).toBeGreaterThanOrEqual(
      truth[p] * 0.999 - 0.001,
    )
    if (p === 'max') continue
    if (r.options.model === 'open' && reported > truth[p] * 1.001 + allowance) {
      expect(r.requests.late, `${p} above the allowance without late sends: ${info}`).toBeGreaterThan(0)
    } else {
      expect(reported, `${p} more than the allowance above the server's record: ${info}`).toBeLessThanOrEqual(
        truth[p] * 1.001 + allowance,
      )
    }
  }
}

/**
 * The bare round trip at the same load: reported p50 minus the server's p50 against a server without delay
 * (on a shared 2-core machine the loopback trip through two busy event loops costs 0.3-1 ms).
 */
async function roundTrip(options: Omit<LoadOptions, 'url'>): Promise<number> {
  const t = await startTarget({ mode: 'none' })
  try {
    const r = await runLoad({ url: t.origin, ...options, duration: 500 })
    const { serviceMs } = await t.stats()
    return Math.max(0, r.latency.p50 - percentile(serviceMs, 50))
  } finally {
    await t.close()
  }
}

const bimodal = (seed: number) =>
  ({ mode: 'bimodal', seed, fastMs: 1, slowMs: 100, slowFraction: 0.01 }) as const

const closed = { connections: 10, duration: 1500 }
const open = (rate: number) => ({ rate, connections: 20, duration: 1500 })

describe('latency accuracy: reported percentiles against the server record', () => {
  it('constant 10 ms, closed model', async () => {
    const j = await judged({ mode: 'constant', ms: 10 }, closed, await roundTrip(closed))
    expect(j.truth.p50, j.info).toBeGreaterThanOrEqual(10)
    expectFaithful(j)
  })

  it('constant 10 ms, open model (latency from the intended send time)', async () => {
    const j = await judged({ mode: 'constant', ms: 10 }, open(200), await roundTrip(open(200)))
    expect(j.r.requests.sent + j.r.requests.dropped).toBe(300)
    expectFaithful(j)
  })

  it('bimodal 99% at 1 ms / 1% at 100 ms, closed model: both modes seen where the server put them', async () => {
    const j = await judged(bimodal(42), closed, await roundTrip(closed))
    // The slow mode is in the server's record (p99.9 is one of the 100 ms requests) and in the report.
    expect(j.truth.p99_9, j.info).toBeGreaterThanOrEqual(100)
    expect(j.truth.p50, j.info).toBeLessThan(j.truth.p99_9 / 10)
    expectFaithful(j)
  })

  it('bimodal 99% at 1 ms / 1% at 100 ms, open model: both modes seen where the server put them', async () => {
    const j = await judged(bimodal(7), open(500), await roundTrip(open(500)))
    expect(j.r.requests.sent + j.r.requests.dropped, j.info).toBe(750)
    expect(j.truth.p99_9, j.info).toBeGreaterThanOrEqual(100)
    expectFaithful(j)
  })
})
