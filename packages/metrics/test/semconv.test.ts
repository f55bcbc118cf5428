// Issue 14 defect 6: semantic-convention attributes and Prometheus names with unit suffixes.
import { describe, expect, it } from 'vitest'
import { createMetrics } from '../src/index.ts'
import { dbQuery, httpRequest, promtoolCheck, samples } from './helpers.ts'

describe('defect 6: semantic conventions', () => {
  it('url.scheme, v8js.heap.space.name, unit suffixes, process start time and CPU time', async () => {
    await using m = createMetrics({ runtime: { sampleInterval: 50 } })
    m.instrument()
    m.recordServerRequest({ method: 'GET', route: '/a', statusCode: 200, durationMs: 3 })
    m.recordServerRequest({ method: 'GET', route: '/a', statusCode: 200, durationMs: 3, scheme: 'https' })
    httpRequest(4)
    dbQuery(2)
    const text = await m.text()
    const all = samples(text)
    const names = new Set(all.map((s) => s.name))
    const server = all.filter((s) => s.name === 'http_server_request_duration_seconds_count')
    expect(server.map((s) => s.labels.url_scheme).sort()).toEqual(['http', 'https'])
    for (const n of [
      'http_client_request_duration_seconds_count',
      'db_client_operation_duration_seconds_count',
      'process_memory_usage_bytes',
      'process_start_time_seconds',
      'process_cpu_time_seconds_total',
    ])
      expect(names, n).toContain(n)
    const heap = all.filter((s) => s.name === 'v8js_memory_heap_used_bytes')
    expect(heap.map((s) => s.labels.v8js_heap_space_name)).toContain('old_space')
    expect(heap.every((s) => s.labels.v8js_heap_space_name !== undefined)).toBe(true)
    const start = all.find((s) => s.name === 'process_start_time_seconds')?.value ?? 0
    expect(Math.abs(start - (Date.now() / 1000 - process.uptime()))).toBeLessThan(5)
    const cpu = all.filter((s) => s.name === 'process_cpu_time_seconds_total')
    expect(cpu.map((s) => s.labels.cpu_mode).sort()).toEqual(['system', 'user'])
    const check = await promtoolCheck(text)
    if (check.available) expect(check.code, check.output).toBe(0)
  })
})
