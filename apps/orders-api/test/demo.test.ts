import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runDemo } from '../src/demo.ts'

describe('demo --quick', () => {
  it('runs both profiles through the mixed scenario (load in its own process) and renders the tables', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'orders-demo-'))
    try {
      const demo = await runDemo({ quick: true, duration: 500, connections: 8, outDir, log: () => {} })
      for (const run of [...demo.closed, ...demo.open]) {
        expect(run.result.requests.errors).toBe(0)
        expect(run.result.requests.ok).toBeGreaterThan(0)
      }
      const [baseline, optimized] = demo.closed
      expect(baseline.mode).toBe('baseline')
      expect(optimized.mode).toBe('optimized')
      // Every step of the mix ran, the created order was read back through its captured id.
      expect(Object.keys(optimized.result.names ?? {})).toEqual(
        expect.arrayContaining([
          'browse list',
          'product',
          'order read',
          'create order',
          'read created',
          'status update',
        ]),
      )
      expect(optimized.upstreamCallsPerRequest).toBeLessThan(baseline.upstreamCallsPerRequest)
      expect(baseline.hitRate).toBeUndefined()
      expect(demo.rate).toBeGreaterThan(0)
      expect(demo.tables.closed).toMatch(
        /\| throughput \(req\/s\) \| [\d.]+ \| [\d.]+ \| [\d.]+x (more|less) \|/,
      )
      expect(demo.tables.open).toMatch(/\| latency p99 \(ms\) \| [\d.]+ \| [\d.]+ \|/)
      for (const file of demo.files) expect(existsSync(file)).toBe(true)
    } finally {
      await rm(outDir, { recursive: true, force: true })
    }
  })
})
