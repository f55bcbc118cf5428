// W3C trace context: an incoming traceparent/tracestate is forwarded on the upstream calls made for that request.
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { upstreamHandler } from '../src/upstream.ts'
import { type RunningService, startService } from './service.ts'

const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
const tracestate = 'vendor=opaque'

describe.each(['optimized', 'baseline'] as const)('traceparent forwarding (%s)', (mode) => {
  const received: IncomingHttpHeaders[] = []
  const answer = upstreamHandler({ latency: 0, errorRate: 0, maxAge: 60 }, { requests: 0 })
  const upstream = createServer((req, res) => {
    received.push(req.headers)
    answer(req, res)
  })
  let service: RunningService
  beforeAll(async () => {
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
    const origin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`
    service = await startService(mode, { upstreamOrigin: origin })
  })
  afterAll(async () => {
    await service?.close()
    upstream.closeAllConnections()
    await new Promise((r) => upstream.close(r))
  })

  it('sends the request traceparent and tracestate to the upstream', async () => {
    const res = await fetch(`${service.origin}/orders/1`, { headers: { traceparent, tracestate } })
    expect(res.status).toBe(200)
    expect(received.length).toBeGreaterThan(0)
    const last = received.at(-1)
    expect(last?.traceparent).toBe(traceparent)
    expect(last?.tracestate).toBe(tracestate)
  })
})
