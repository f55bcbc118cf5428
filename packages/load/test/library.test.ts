// runLoad(): options validation, failure paths (refused, reset, timeouts, abort), workers, limits, progress.
import { getEventListeners } from 'node:events'
import { capture, startHttpServer, type TestServer } from '@hotpath/test-helpers'
import { afterEach, describe, expect, it } from 'vitest'
import { HotpathError, InvalidOptionError } from '@hotpath/core'
import type { LoadEndEvent, LoadProgressEvent, LoadStartEvent } from '../src/channels.ts'
import { LoadAbortedError } from '../src/errors.ts'
import { createHistogram, decodeHistogram, encodeHistogram } from '../src/histogram.ts'
import { runLoad } from '../src/run.ts'
import type { LoadProgress } from '../src/result.ts'
import { startTarget, type TargetProcess } from './servers.ts'

let server: TestServer | undefined
let target: TargetProcess | undefined
afterEach(async () => {
  await server?.close()
  await target?.close()
  server = undefined
  target = undefined
})

describe('options', () => {
  const bad: Array<[string, Record<string, unknown>, string]> = [
    ['url', { url: 'nope' }, 'invalid option "url": received "nope"'],
    ['url', { url: 'ftp://x/' }, 'expected an http: or https: URL'],
    [
      'connections',
      { url: 'http://127.0.0.1/', connections: 0 },
      'invalid option "connections": received 0, expected an integer from 1 to 100000',
    ],
    [
      'pipelining',
      { url: 'http://127.0.0.1/', pipelining: 1.5 },
      'invalid option "pipelining": received 1.5',
    ],
    ['rate', { url: 'http://127.0.0.1/', rate: -1 }, 'invalid option "rate": received -1'],
    ['rate', { url: 'http://127.0.0.1/', rate: 10, stages: '1s:10' }, 'expected either rate or stages'],
    ['rate', { url: 'http://127.0.0.1/', model: 'open' }, 'the open model needs one'],
    ['model', { url: 'http://127.0.0.1/', model: 'fast' }, "expected one of 'open', 'closed'"],
    ['duration', { url: 'http://127.0.0.1/', duration: 0 }, 'invalid option "duration": received 0'],
    [
      'durationMs (the old name)',
      { url: 'http://127.0.0.1/', durationMs: 1000 },
      'invalid option "options.durationMs": received 1000, expected no such option',
    ],
    ['amount', { url: 'http://127.0.0.1/', amount: 0 }, 'invalid option "amount"'],
    [
      'workers',
      { url: 'http://127.0.0.1/', workers: 4, connections: 2 },
      'at most one worker per connection',
    ],
    ['stages', { url: 'http://127.0.0.1/', stages: '10s:100,30x:1' }, 'bad stage "30x:1"'],
    ['stages', { url: 'http://127.0.0.1/', stages: [] }, 'non-empty array'],
    ['method', { url: 'http://127.0.0.1/', method: 'GE T' }, 'expected an HTTP method'],
    ['timeout', { url: 'http://127.0.0.1/', timeout: Number.NaN }, 'invalid option "timeout": received NaN'],
    [
      'stages[0].duration',
      { url: 'http://127.0.0.1/', stages: [{ duration: -1, target: 5 }] },
      'invalid option "stages[0].duration": received -1, expected a finite number > 0',
    ],
    [
      'lateThreshold',
      { url: 'http://127.0.0.1/', rate: 5, lateThreshold: -1 },
      'invalid option "lateThreshold": received -1',
    ],
    ['gracefulStop', { url: 'http://127.0.0.1/', gracefulStop: '2s' }, 'invalid option "gracefulStop"'],
  ]
  for (const [option, opts, message] of bad) {
    it(`rejects a bad ${option}: ${message}`, async () => {
      const error = await runLoad(opts as never).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(InvalidOptionError)
      expect(error).toBeInstanceOf(HotpathError)
      expect((error as InvalidOptionError).code).toBe('HOTPATH_LOAD_INVALID_OPTION')
      expect((error as Error).message).toContain(message)
    })
  }

  it('rejects a bad threshold before sending anything', async () => {
    server = await startHttpServer((_req, res) => {
      res.end('ok')
    })
    const error = await runLoad({ url: server.origin, duration: 200, thresholds: ['p42<1ms'] }).catch(
      (e: unknown) => e,
    )
    expect((error as { code?: string }).code).toBe('HOTPATH_LOAD_INVALID_THRESHOLD')
    expect(server.requests).toBe(0)
  })
})

describe('failure paths produce errors, not crashes or hangs', () => {
  it('connections refused: ECONNREFUSED errors, bounded by the duration', async () => {
    const started = performance.now()
    const r = await runLoad({ url: 'http://127.0.0.1:9/', connections: 3, duration: 500 })
    expect(performance.now() - started).toBeLessThan(3000)
    expect(r.errors.ECONNREFUSED).toBeGreaterThan(0)
    expect(r.requests.ok).toBe(0)
    expect(r.requests.errors).toBe(r.errors.ECONNREFUSED)
  })

  it('a server that destroys every socket: ECONNRESET errors', async () => {
    server = await startHttpServer((req) => {
      req.socket.destroy()
    })
    const r = await runLoad({ url: server.origin, connections: 2, duration: 500 })
    expect(r.errors.ECONNRESET).toBeGreaterThan(0)
    expect(r.requests.ok).toBe(0)
  })

  it('a server that closes the connection after each response keeps working (reconnects)', async () => {
    server = await startHttpServer((_req, res) => {
      res.setHeader('connection', 'close')
      res.end('bye')
    })
    const r = await runLoad({ url: server.origin, connections: 2, duration: 500 })
    expect(r.requests.ok).toBeGreaterThan(10)
    expect(r.statusCodes['200']).toBe(r.requests.ok)
  })

  it('a server that never answers: timeouts counted as ETIMEDOUT, open model keeps its schedule', async () => {
    server = await startHttpServer(() => {})
    const started = performance.now()
    const r = await runLoad({
      url: server.origin,
      rate: 20,
      connections: 20,
      duration: 600,
      timeout: 150,
      gracefulStop: 3000,
    })
    // undici enforces sub-second timeouts with a coarse timer: allow for it, but never hang.
    expect(performance.now() - started).toBeLessThan(4000)
    // The schedule is exact: 12 sends, each either sent (and timed out) or, when the generator itself was
    // stalled for longer than the timeout, dropped.
    expect(r.requests.sent + r.requests.dropped).toBe(12)
    expect(r.errors.ETIMEDOUT).toBe(r.requests.sent)
    expect(r.requests.errors).toBe(12)
  })

  it('open model, too few connections: the backlog is late, drains after the window, the rest is dropped', async () => {
    server = await startHttpServer((_req, res) => {
      setTimeout(() => res.end('ok'), 20)
    })
    // One connection serves about 45 req/s; the schedule asks for 100 req/s over 500 ms (50 sends).
    const short = await runLoad({
      url: server.origin,
      rate: 100,
      connections: 1,
      duration: 500,
      gracefulStop: 300,
    })
    expect(short.requests.sent + short.requests.dropped).toBe(50)
    expect(short.requests.dropped).toBeGreaterThan(0)
    expect(short.errors.DROPPED).toBe(short.requests.dropped)
    expect(short.requests.late).toBeGreaterThan(0)
    // Latency from the intended send time includes the wait for a connection.
    expect(short.latency.max).toBeGreaterThan(200)
    const patient = await runLoad({
      url: server.origin,
      rate: 100,
      connections: 1,
      duration: 500,
      gracefulStop: 5000,
    })
    expect(patient.requests.sent).toBe(50)
    expect(patient.requests.dropped).toBe(0)
    expect(patient.errors).toEqual({})
  })

  it('in-flight requests at the end of the graceful stop are cancelled, not errors', async () => {
    server = await startHttpServer(() => {})
    const r = await runLoad({ url: server.origin, connections: 3, duration: 200, gracefulStop: 100 })
    expect(r.requests.cancelled).toBe(3)
    expect(r.requests.errors).toBe(0)
  })

  it('HTTP 5xx counts as an error by status code', async () => {
    server = await startHttpServer((_req, res) => {
      res.statusCode = 503
      res.end('down')
    })
    const r = await runLoad({ url: server.origin, connections: 2, amount: 20 })
    expect(r.statusCodes['503']).toBe(20)
    expect(r.errors.HTTP_503).toBe(20)
    expect(r.requests.ok).toBe(0)
  })
})

describe('abort, limits, progress', () => {
  it('an AbortSignal stops the run early with a partial result', async () => {
    server = await startHttpServer((_req, res) => {
      res.end('ok')
    })
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 300)
    const started = performance.now()
    const r = await runLoad({
      url: server.origin,
      connections: 2,
      duration: 10_000,
      signal: controller.signal,
    })
    expect(performance.now() - started).toBeLessThan(2000)
    expect(r.aborted).toBe(true)
    expect(r.requests.completed).toBeGreaterThan(0)
  })

  it('a long-lived signal keeps no listener after runs', async () => {
    server = await startHttpServer((_req, res) => {
      res.end('ok')
    })
    const controller = new AbortController()
    for (let i = 0; i < 3; i++) await runLoad({ url: server.origin, amount: 5, signal: controller.signal })
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })

  it('an already aborted signal rejects with LoadAbortedError', async () => {
    const error = await runLoad({ url: 'http://127.0.0.1:9/', signal: AbortSignal.abort() }).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(LoadAbortedError)
    expect((error as LoadAbortedError).code).toBe('HOTPATH_LOAD_ABORTED')
  })

  it('-n amount sends exactly that many requests', async () => {
    server = await startHttpServer((_req, res) => {
      res.end('ok')
    })
    const r = await runLoad({ url: server.origin, connections: 4, amount: 137 })
    expect(server.requests).toBe(137)
    expect(r.requests.completed).toBe(137)
    expect(r.requests.sent).toBe(137)
  })

  it('progress events once per second and diagnostics channels start/progress/end', async () => {
    server = await startHttpServer((_req, res) => {
      res.end('ok')
    })
    const starts = capture<LoadStartEvent>('hotpath:load:start')
    const progresses = capture<LoadProgressEvent>('hotpath:load:progress')
    const ends = capture<LoadEndEvent>('hotpath:load:end')
    const progress: LoadProgress[] = []
    let r: Awaited<ReturnType<typeof runLoad>>
    try {
      r = await runLoad({
        url: server.origin,
        connections: 2,
        duration: 2100,
        onProgress: (p) => progress.push(p),
      })
    } finally {
      starts.stop()
      progresses.stop()
      ends.stop()
    }
    expect(progress.length).toBeGreaterThanOrEqual(2)
    expect(progress[0]!.elapsedMs).toBe(1000)
    expect(progress[0]!.durationMs).toBe(2100)
    expect(progress[0]!.rps).toBeGreaterThan(0)
    const url = `${server.origin}/`
    expect(starts.messages).toEqual([
      { url, model: 'closed', transport: 'raw', connections: 2, rate: undefined, durationMs: 2100 },
    ])
    expect(progresses.messages).toEqual(progress.map((p) => ({ url, ...p })))
    expect(ends.messages).toEqual([
      {
        url,
        durationMs: r.durationMs,
        requests: r.requests.completed,
        errors: r.requests.errors,
        rps: r.throughput.rps,
        aborted: false,
      },
    ])
  })

  it('closed-model stages ramp the connections', async () => {
    server = await startHttpServer((_req, res) => {
      setTimeout(() => res.end('ok'), 5)
    })
    const r = await runLoad({ url: server.origin, stages: '500ms:8,500ms:8' })
    expect(r.options.connections).toBe(8)
    expect(r.durationMs).toBeLessThan(2000)
    // Ramping from 0 to 8 then holding (how many requests that makes depends on the CPU the machine gives us).
    expect(r.requests.ok).toBeGreaterThan(0)
    expect(r.errors).toEqual({})
  })

  it('open-model stages: the number of sends is the area under the ramp', async () => {
    server = await startHttpServer((_req, res) => {
      res.end('ok')
    })
    const r = await runLoad({ url: server.origin, model: 'open', stages: '1s:200' })
    expect(r.requests.sent).toBe(100)
    expect(server.requests).toBe(100)
  })
})

describe('worker threads', () => {
  it('-w 2 closed model: counts add up and histograms merge exactly', async () => {
    target = await startTarget({ mode: 'none' })
    const r = await runLoad({ url: target.origin, connections: 4, workers: 2, duration: 1000 })
    const { served } = await target.stats()
    expect(r.options.workers).toBe(2)
    expect(r.requests.completed).toBe(served)
    expect(r.errors).toEqual({})
    expect(decodeHistogram(r.histogram).totalCount).toBe(r.requests.completed)
    expect(r.timeseries.reduce((n, p) => n + p.requests, 0)).toBe(r.requests.completed)
  })

  it('-w 2 open model: the schedule is split exactly', async () => {
    target = await startTarget({ mode: 'none' })
    const r = await runLoad({ url: target.origin, rate: 300, connections: 4, workers: 2, duration: 1000 })
    expect(r.requests.sent).toBe(300)
    expect((await target.stats()).received).toBe(300)
  })

  it('-w 2: an AbortSignal stops every worker; no listener is left on the signal', async () => {
    target = await startTarget({ mode: 'none' })
    const controller = new AbortController()
    let abortedAt = 0
    const r = await runLoad({
      url: target.origin,
      connections: 4,
      workers: 2,
      duration: 20_000,
      signal: controller.signal,
      // Abort once the workers demonstrably run (worker start-up time varies on a busy machine).
      onProgress: () => {
        abortedAt = performance.now()
        controller.abort()
      },
    })
    expect(performance.now() - abortedAt).toBeLessThan(3000)
    expect(r.aborted).toBe(true)
    expect(r.requests.completed).toBeGreaterThan(0)
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })

  it('histogram encode/decode/add is exact', () => {
    const a = createHistogram()
    const b = createHistogram()
    for (let i = 1; i <= 1000; i++) a.recordValue(i * 37)
    for (let i = 1; i <= 500; i++) b.recordValue(i * 1013)
    const merged = decodeHistogram(encodeHistogram(a))
    merged.add(decodeHistogram(encodeHistogram(b)))
    const direct = createHistogram()
    direct.add(a)
    direct.add(b)
    expect(merged.totalCount).toBe(1500)
    for (const p of [50, 90, 99, 99.9, 100])
      expect(merged.getValueAtPercentile(p)).toBe(direct.getValueAtPercentile(p))
  })
})
