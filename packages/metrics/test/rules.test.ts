// Issue 14 defect 3: each rule has a minimum sample, the right denominator and human advice with numbers.
import { afterEach, describe, expect, it } from 'vitest'
import { createMetrics, type Metrics, type Recommendation } from '../src/index.ts'
import { RULE_IDS, RULES } from '../src/rules/index.ts'
import { oldGenerationLimit } from '../src/runtime.ts'
import { cacheGet, ch, dbQuery } from './helpers.ts'

let metrics: Metrics | undefined
afterEach(async () => {
  await metrics?.close()
  metrics = undefined
})

function make(): Metrics {
  metrics = createMetrics({ runtime: false }).instrument()
  return metrics
}
const of = (recs: Recommendation[], rule: string) => recs.filter((r) => r.rule === rule)

describe('defect 3: rules give the right advice', () => {
  it('one file per rule, one list, ids match', () => {
    expect(RULES.map((r) => r.id)).toEqual([...RULE_IDS])
    for (const r of RULES) expect(r.thresholds.length).toBeGreaterThan(0)
  })

  it('cache-hit-rate: expire evictions (invalidation) never advise a bigger L1; size evictions do', async () => {
    const m = make()
    cacheGet('orders', 'hit', 'l1', 50)
    cacheGet('orders', 'miss', 'none', 150)
    for (let i = 0; i < 140; i++) ch.cacheEvict.publish({ cache: 'orders', key: `k${i}`, reason: 'expire' })
    cacheGet('users', 'hit', 'l1', 50)
    cacheGet('users', 'miss', 'none', 150)
    for (let i = 0; i < 140; i++) ch.cacheEvict.publish({ cache: 'users', key: `k${i}`, reason: 'evict' })
    const recs = of((await m.report()).recommendations, 'cache-hit-rate')
    const orders = recs.find((r) => r.subject === 'cache orders')
    const users = recs.find((r) => r.subject === 'cache users')
    expect(orders?.advice).not.toMatch(/L1 size/)
    expect(orders?.advice).toMatch(/expire|invalidat/i)
    expect(orders?.evidence).toMatchObject({ expired: 140, capacityEvictions: 0 })
    expect(users?.advice).toMatch(/L1 size/)
    expect(users?.evidence).toMatchObject({ capacityEvictions: 140 })
    expect(users?.advice).toContain('25%') // the numbers are in the advice
  })

  it('slow-query: a raw EXPLAIN plan is summarised, never printed as JSON', async () => {
    const m = make()
    const fingerprint = 'select id, total from orders where id = ?'
    const plan = [
      { Plan: { 'Node Type': 'Index Scan', 'Relation Name': 'orders', 'Index Name': 'orders_pkey' } },
    ]
    m.observe(
      Object.assign(
        { stats: () => ({ kind: 'database', name: 'main', system: 'postgresql', queries: [] }) },
        { slowQueries: () => [{ fingerprint, plan }] },
      ),
    )
    for (let i = 0; i < 30; i++) dbQuery(120, { fingerprint })
    ch.dbSlow.publish({
      database: 'main',
      system: 'postgresql',
      operation: 'SELECT',
      fingerprint,
      summary: 'SELECT orders',
      durationMs: 120,
      rows: 1,
      cached: false,
    })
    const rec = of((await m.report()).recommendations, 'slow-query')[0]
    expect(rec?.advice).not.toContain('{')
    expect(String(rec?.evidence.finding)).not.toContain('{')
    expect(rec?.advice).toMatch(/Index Scan on orders using orders_pkey/)
    expect(rec?.advice).toMatch(/already uses an index/)
    expect(rec?.advice).toMatch(/120/)
  })

  it('slow-query: a few slow runs (below the minimum count) do not judge the p95', async () => {
    const m = make()
    for (let i = 0; i < 3; i++) dbQuery(120)
    expect(of((await m.report()).recommendations, 'slow-query').filter((r) => r.severity !== 'info')).toEqual(
      [],
    )
  })

  it('pool-wait: one first-connection acquire of 11.6 ms is no warning; 50 slow acquires are', async () => {
    const m = make()
    ch.poolAcquire.publish({ pool: 'main', waitMs: 11.6 })
    expect(of((await m.report()).recommendations, 'pool-wait')).toEqual([])
    for (let i = 0; i < 50; i++) ch.poolAcquire.publish({ pool: 'main', waitMs: 40 })
    const rec = of((await m.report()).recommendations, 'pool-wait')[0]
    expect(rec?.evidence.acquisitions).toBe(51)
    expect(rec?.advice).toMatch(/51 acquisitions/)
  })

  it('memory: the heap ratio is against the old-generation limit, not heap_size_limit', () => {
    const MiB = 2 ** 20
    // --max-old-space-size=64: V8 reports heap_size_limit = 64 MiB + the young generation (3 x 64 MiB)
    expect(oldGenerationLimit(256 * MiB, ['--max-old-space-size=64'], '')).toBe(64 * MiB)
    expect(oldGenerationLimit(256 * MiB, [], '--max-old-space-size=64')).toBe(64 * MiB)
    expect(oldGenerationLimit(4120 * MiB, ['--max-semi-space-size=8'], '')).toBe(4096 * MiB)
    expect(oldGenerationLimit(4288 * MiB, [], '')).toBe(4096 * MiB)
  })
})
