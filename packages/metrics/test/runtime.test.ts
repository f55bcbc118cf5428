import { eventually } from '@hotpath/test-helpers'
import { afterEach, describe, expect, it } from 'vitest'
import { createMetrics, type Metrics } from '../src/index.ts'
import { samples } from './helpers.ts'

let metrics: Metrics | undefined
afterEach(async () => {
  await metrics?.close()
  metrics = undefined
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('runtime metrics', () => {
  it('exposes event-loop delay in seconds, utilisation, CPU, RSS and heap', async () => {
    // one long window (no window closes during the test): the figures since start must show the block,
    // however the OS schedules this process on a loaded machine
    const m = createMetrics({ runtime: { sampleInterval: 60_000, resolution: 5 } })
    metrics = m
    // monitorEventLoopDelay records the gap between two of its ticks: a block before its first tick (libuv's
    // cached loop time can make that tick already due) is never recorded. A timer due after the first tick
    // runs after it (libuv runs timers in due order), so the block below always falls between two ticks.
    await new Promise((resolve) => setTimeout(resolve, 20))
    const end = performance.now() + 60
    while (performance.now() < end) {
      // block the loop once: the window's max delay must show it
    }
    let all: ReturnType<typeof samples> = []
    const get = (name: string) => all.find((s) => s.name === name)?.value
    await eventually(
      async () => {
        all = samples(await m.text())
        return (get('nodejs_eventloop_delay_max_seconds') ?? 0) >= 0.04
      },
      { what: 'the blocked loop in nodejs.eventloop.delay.max' },
    )
    const p99 = get('nodejs_eventloop_delay_p99_seconds') as number
    const max = get('nodejs_eventloop_delay_max_seconds') as number
    expect(p99).toBeGreaterThan(0)
    expect(p99).toBeLessThan(10) // seconds, not nanoseconds or milliseconds
    expect(max).toBeGreaterThanOrEqual(p99)
    expect(get('nodejs_eventloop_utilization')).toBeGreaterThanOrEqual(0)
    expect(get('nodejs_eventloop_utilization')).toBeLessThanOrEqual(1)
    expect(get('process_cpu_utilization')).toBeGreaterThanOrEqual(0)
    expect(get('process_memory_usage_bytes')).toBeGreaterThan(10_000_000)
    // one point per heap space (v8js.heap.space.name)
    const space = (name: string) =>
      all.find((s) => s.name === name && s.labels.v8js_heap_space_name === 'old_space')?.value ?? 0
    expect(space('v8js_memory_heap_used_bytes')).toBeGreaterThan(100_000)
    expect(space('v8js_memory_heap_limit_bytes')).toBeGreaterThanOrEqual(space('v8js_memory_heap_used_bytes'))
  })

  it('records GC pauses in v8js.gc.duration by type', async () => {
    metrics = createMetrics({ runtime: { sampleInterval: 1000 } })
    let keep: unknown[] = []
    for (let round = 0; round < 40; round++) {
      keep = Array.from({ length: 50_000 }, (_, i) => ({ i, s: `x${i}` })) // young-generation garbage
      await sleep(1)
    }
    expect(keep.length).toBe(50_000)
    const m = metrics
    let counts: ReturnType<typeof samples> = []
    // GC entries reach the observer asynchronously
    await eventually(
      async () => {
        counts = samples(await m.text()).filter((s) => s.name === 'v8js_gc_duration_seconds_count')
        return counts.some((s) => s.labels.v8js_gc_type === 'minor')
      },
      { what: 'a minor GC in v8js.gc.duration' },
    )
    expect(counts.length).toBeGreaterThan(0)
    expect(counts.map((s) => s.labels.v8js_gc_type)).toContain('minor')
    expect(counts.reduce((a, b) => a + b.value, 0)).toBeGreaterThan(0)
  })

  it('runtime: false registers no runtime instruments and no timers', async () => {
    metrics = createMetrics({ runtime: false })
    const text = await metrics.text()
    expect(text).not.toContain('nodejs_eventloop')
    expect((await metrics.report()).runtime).toBeUndefined()
  })

  it('prometheus options: prefix, without scope labels, without target_info', async () => {
    metrics = createMetrics({
      runtime: false,
      prometheus: { prefix: 'orders', withoutScopeInfo: true, withoutTargetInfo: true },
    })
    metrics.recordServerRequest({ method: 'GET', route: '/', statusCode: 200, durationMs: 1 })
    const text = await metrics.text()
    expect(text).toContain('orders_http_server_request_duration_seconds_count{')
    expect(text).not.toContain('otel_scope_name')
    expect(text).not.toContain('target_info')
  })
})
