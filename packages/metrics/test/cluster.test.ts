import { type ChildProcess, fork } from 'node:child_process'
import cluster, { type Worker } from 'node:cluster'
import { fileURLToPath } from 'node:url'
import { EventEmitter } from 'node:events'
import { seededRandom } from '@hotpath/test-helpers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { gather, IPC_TAG, type Peer } from '../src/cluster.ts'
import { createMetrics, type Metrics } from '../src/index.ts'
import { exactPercentile, promtoolCheck, samples } from './helpers.ts'

const script = fileURLToPath(new URL('./fixtures/cluster-worker.ts', import.meta.url))
// The fixture is TypeScript run by Node itself: unflagged from Node 23.6, behind a flag on Node 22.
const execArgv = (process.features as { typescript?: unknown }).typescript
  ? []
  : ['--experimental-strip-types']
let metrics: Metrics | undefined
const workers: Array<Worker | ChildProcess> = []

afterEach(async () => {
  await metrics?.close()
  metrics = undefined
  await Promise.all(
    workers.splice(0).map(
      (w) =>
        new Promise<void>((resolve) => {
          const proc = 'process' in w ? w.process : w
          if (proc.exitCode !== null || proc.signalCode !== null) return resolve()
          const timer = setTimeout(() => proc.kill('SIGKILL'), 5000)
          proc.once('exit', () => {
            clearTimeout(timer)
            resolve()
          })
          try {
            w.send('exit')
          } catch {
            proc.kill('SIGKILL')
          }
        }),
    ),
  )
})

function ready(w: Worker | ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('worker not ready in 20 s')), 20_000)
    w.on('message', (m: unknown) => {
      if (m === 'ready') {
        clearTimeout(timer)
        resolve()
      }
    })
    w.once('exit', (code: number) => reject(new Error(`worker exited with ${code}`)))
  })
}

function forkWorker(index: number, durations: number[], env: Record<string, string> = {}): Worker {
  cluster.setupPrimary({ exec: script, execArgv, silent: true })
  const w = cluster.fork({
    HOTPATH_WORKER_INDEX: String(index),
    HOTPATH_WORKER_DURATIONS: JSON.stringify(durations),
    ...env,
  })
  workers.push(w)
  return w
}

describe('cluster mode with real node:cluster workers', () => {
  it('the primary serves one /metrics and one report merging every worker', async () => {
    const r = seededRandom(3)
    const d1 = Array.from({ length: 400 }, () => 1 + r() * 50)
    const d2 = Array.from({ length: 600 }, () => 20 + r() * 200)
    metrics = createMetrics({
      cluster: { timeout: 10_000 },
      runtime: { sampleInterval: 100 },
      serviceName: 'orders-api',
    })
    expect(metrics.role).toBe('primary')
    const w1 = forkWorker(1, d1)
    const w2 = forkWorker(2, d2)
    await Promise.all([ready(w1), ready(w2)])

    const text = await metrics.text()
    const all = samples(text)
    // events add up across workers
    const count = all.find(
      (x) => x.name === 'http_server_request_duration_seconds_count' && x.labels.http_route === '/orders/:id',
    )
    expect(count?.value).toBe(1000)
    expect(count?.labels.worker).toBeUndefined()
    const hits = all.find(
      (x) => x.name === 'hotpath_cache_operations_total' && x.labels.hotpath_cache_result === 'hit',
    )
    expect(hits?.value).toBe(30)
    // states stay apart by worker
    const entries = all.filter((x) => x.name === 'hotpath_cache_entries')
    expect(entries.map((x) => [x.labels.worker, x.value]).sort()).toEqual([
      [String(w1.id), 10],
      [String(w2.id), 20],
    ])
    const rss = all.filter((x) => x.name === 'process_memory_usage_bytes')
    expect(new Set(rss.map((x) => x.labels.worker))).toEqual(
      new Set(['primary', String(w1.id), String(w2.id)]),
    )
    // one valid exposition
    const check = await promtoolCheck(text)
    if (check.available) expect(check.code, check.output).toBe(0)
    else console.warn(`skipped promtool check: ${check.output}`)

    const report = await metrics.report()
    expect(report.processes).toBe(3)
    expect(report.workers.map((w) => w.worker)).toEqual(['primary', String(w1.id), String(w2.id)])
    expect(report.workers[1]?.runtime?.rssBytes).toBeGreaterThan(0)
    const route = report.routes.find((x) => x.route === '/orders/:id')
    expect(route?.count).toBe(1000)
    const union = [...d1, ...d2]
    for (const [q, key] of [
      [0.5, 'p50Ms'],
      [0.95, 'p95Ms'],
      [0.99, 'p99Ms'],
    ] as const) {
      const exact = exactPercentile(union, q)
      expect(Math.abs((route?.[key] as number) - exact) / exact).toBeLessThanOrEqual(0.05)
    }
    const users = report.caches.find((x) => x.name === 'users')
    expect(users).toMatchObject({ lookups: 40, hits: 30, misses: 10, entries: 30 })
  })

  it('a worker that does not answer is left out after the deadline; nothing hangs', async () => {
    // the deadline itself is tested exactly with fake time below; here a real worker must have time to
    // answer on a loaded machine, so the deadline is the default
    metrics = createMetrics({ cluster: { timeout: 2000 }, runtime: false })
    const good = forkWorker(1, [5, 6, 7])
    const mute = forkWorker(2, [], { HOTPATH_WORKER_SILENT: '1' })
    await Promise.all([ready(good), ready(mute)])
    const started = performance.now()
    const report = await metrics.report()
    expect(performance.now() - started).toBeLessThan(5000)
    expect(report.processes).toBe(2)
    expect(report.routes[0]?.count).toBe(3)
    const text = await metrics.text()
    expect(samples(text).find((x) => x.name === 'http_server_request_duration_seconds_count')?.value).toBe(3)
  })

  it('merges a child_process.fork child attached by hand', async () => {
    metrics = createMetrics({ cluster: { role: 'primary', timeout: 10_000 }, runtime: false })
    const child = fork(script, [], {
      execArgv,
      silent: true,
      env: {
        ...process.env,
        HOTPATH_WORKER_INDEX: '3',
        HOTPATH_WORKER_ROLE: 'worker',
        HOTPATH_WORKER_DURATIONS: '[10,20,30]',
      },
    })
    workers.push(child)
    await ready(child)
    const detach = metrics.attachWorker('child-a', child)
    const text = await metrics.text()
    expect(samples(text).find((x) => x.name === 'hotpath_cache_entries')?.labels.worker).toBe('child-a')
    expect((await metrics.report()).routes[0]?.count).toBe(3)
    detach()
    expect((await metrics.report()).routes).toEqual([])
  })
})

/** A peer over an EventEmitter: answers the primary's collect request unless `mute`. */
function fakePeer(mute: boolean): Peer & { requests: number } {
  const bus = new EventEmitter()
  const peer = {
    requests: 0,
    connected: true,
    send(message: unknown): boolean {
      peer.requests++
      const m = message as { [IPC_TAG]: string; id: number }
      if (!mute) {
        queueMicrotask(() =>
          bus.emit('message', {
            [IPC_TAG]: 'snapshot',
            id: m.id,
            snapshot: { metrics: [], source: { worker: 'x' } },
          }),
        )
      }
      return true
    },
    on(event: 'message', listener: (message: unknown) => void) {
      bus.on(event, listener)
      return peer
    },
    off(event: 'message', listener: (message: unknown) => void) {
      bus.off(event, listener)
      return peer
    },
  }
  return peer
}

describe("gather(): the primary's deadline per worker (fake time)", () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('answers at once when every worker answers, and leaves a mute one out exactly at the deadline', async () => {
    vi.useFakeTimers()
    const peers = new Map<string, Peer>([
      ['good', fakePeer(false)],
      ['mute', fakePeer(true)],
    ])
    let result: Awaited<ReturnType<typeof gather>> | undefined
    const done = gather(peers, 400).then((r) => {
      result = r
    })
    await vi.advanceTimersByTimeAsync(399)
    expect(result).toBeUndefined()
    await vi.advanceTimersByTimeAsync(1)
    await done
    expect(result?.results.map((r) => r.worker)).toEqual(['good'])
    expect(result?.missing).toEqual(['mute'])
    expect(vi.getTimerCount()).toBe(0) // every deadline timer was cleared

    const fast = gather(new Map([['good', fakePeer(false)]]), 60_000)
    await vi.advanceTimersByTimeAsync(0)
    await expect(fast).resolves.toMatchObject({ missing: [] })
    expect(vi.getTimerCount()).toBe(0)
  })

  it('a disconnected worker is missing without waiting', async () => {
    vi.useFakeTimers()
    const gone = Object.assign(fakePeer(false), { connected: false })
    await expect(gather(new Map([['gone', gone]]), 60_000)).resolves.toEqual({
      results: [],
      missing: ['gone'],
    })
    expect(gone.requests).toBe(0)
  })
})

describe('defect 1: merged cluster counters never go backwards', () => {
  const count = (text: string) =>
    samples(text).find(
      (x) => x.name === 'http_server_request_duration_seconds_count' && x.labels.http_route === '/orders/:id',
    )?.value ?? 0
  const staleOf = (text: string) =>
    Object.fromEntries(
      samples(text)
        .filter((x) => x.name === 'hotpath_cluster_worker_stale')
        .map((x) => [x.labels.worker, x.value]),
    )

  it('a stopped worker (SIGSTOP) keeps its last counters and is marked stale; a killed one (SIGKILL) keeps them too', async () => {
    metrics = createMetrics({ cluster: { timeout: 1500 }, runtime: false })
    const w1 = forkWorker(1, [5, 6, 7, 8])
    const w2 = forkWorker(2, [10, 20, 30])
    await Promise.all([ready(w1), ready(w2)])
    const first = await metrics.text()
    const seen: number[] = [count(first)]
    const stale: Array<Record<string, number>> = [staleOf(first)]

    w2.process.kill('SIGSTOP')
    try {
      const text = await metrics.text()
      seen.push(count(text))
      stale.push(staleOf(text))
    } finally {
      w2.process.kill('SIGCONT')
    }
    seen.push(count(await metrics.text()))

    const exited = new Promise((resolve) => w1.process.once('exit', resolve))
    w1.process.kill('SIGKILL')
    await exited
    seen.push(count(await metrics.text()))
    seen.push(count(await metrics.text()))
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1] as number)
    expect(seen).toEqual([7, 7, 7, 7, 7])
    expect(stale).toEqual([
      { [String(w1.id)]: 0, [String(w2.id)]: 0 },
      { [String(w1.id)]: 0, [String(w2.id)]: 1 },
    ])
    const check = await promtoolCheck(await metrics.text())
    if (check.available) expect(check.code, check.output).toBe(0)
  })
})
