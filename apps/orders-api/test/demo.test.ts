import { describe, expect, it } from 'vitest'
import { runDemo } from '../src/demo.ts'

describe('demo', () => {
  it('runs both modes under load and renders the before/after table', async () => {
    const demo = await runDemo({ durationMs: 700, connections: 8, hotSet: 50, log: () => {} })
    const [before, after] = demo.runs
    expect(before?.mode).toBe('baseline')
    expect(after?.mode).toBe('optimized')
    expect(before?.result.requests.errors).toBe(0)
    expect(after?.result.requests.errors).toBe(0)
    expect(after?.result.requests.ok).toBeGreaterThan(0)
    // The HTTP cache and the order cache mean far fewer upstream calls for the same kind of traffic.
    expect(after?.upstreamRequests).toBeLessThan(before?.upstreamRequests ?? 0)
    expect(demo.table).toMatch(/\| throughput \(req\/s\) \| [\d.]+ \| [\d.]+ \| [\d.]+x more \|/)
  })
})
