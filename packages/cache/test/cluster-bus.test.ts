// The cluster bus end to end: real node:cluster workers (test/fixtures/cluster-bus-worker.ts) with
// caches on clusterBus(), this test process as the primary running clusterBusRelay(). No Redis, no mocks.
// Every wait has a deadline (`eventually`, `within`); nothing asserts on how fast a message arrived.
import cluster, { type Worker } from 'node:cluster'
import { fileURLToPath } from 'node:url'
import { eventually } from '@hotpath/test-helpers'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  type ClusterBusRelay,
  ClusterRoleError,
  clusterBus,
  clusterBusRelay,
  createCache,
  HotpathError,
} from '../src/index.ts'

const exec = fileURLToPath(new URL('./fixtures/cluster-bus-worker.ts', import.meta.url))

interface BusStatsReply {
  bus: { connected: boolean; received: number; published: number; errors: number }
  envelopes: number
}

/** A hang shows up as a clear failure after `ms` (a generous deadline, not a measurement). */
function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms)
  })
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer))
}

let nextId = 0
/** Sends a command to a fixture worker and resolves with its answer. */
function ask<T = unknown>(worker: Worker, cmd: string, args: Record<string, unknown> = {}): Promise<T> {
  const fixture = ++nextId
  const answer = new Promise<T>((resolve, reject) => {
    const onMessage = (m: { fixture?: number; result?: T; error?: string }): void => {
      if (m?.fixture !== fixture) return
      worker.off('message', onMessage)
      if (m.error !== undefined) reject(new Error(m.error))
      else resolve(m.result as T)
    }
    worker.on('message', onMessage)
  })
  worker.send({ fixture, cmd, ...args })
  return within(10_000, answer, `worker ${worker.id} ${cmd}`)
}

const stats = (w: Worker, cache = 'a'): Promise<BusStatsReply> => ask<BusStatsReply>(w, 'stats', { cache })

const forked: Worker[] = []
async function forkWorker(): Promise<Worker> {
  const worker = cluster.fork()
  forked.push(worker)
  await within(
    15_000,
    new Promise<void>((resolve, reject) => {
      worker.once('online', resolve)
      worker.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was online`)))
    }),
    'worker online',
  )
  await ask(worker, 'ready')
  return worker
}

function stop(worker: Worker): Promise<void> {
  if (worker.isDead()) return Promise.resolve()
  return within(
    10_000,
    new Promise<void>((resolve) => {
      worker.once('exit', () => resolve())
      worker.process.kill('SIGTERM')
    }),
    'worker exit',
  )
}

let relay: ClusterBusRelay
beforeAll(() => {
  // plain Node for the workers (it strips the types of the fixture and src/), not the runner's flags
  cluster.setupPrimary({ exec, execArgv: [], silent: true })
  relay = clusterBusRelay()
})
afterEach(async () => {
  await Promise.all(forked.splice(0).map(stop))
})
afterAll(async () => {
  await relay.close()
})

describe('clusterBus + clusterBusRelay', () => {
  it("a delete on worker A removes worker B's L1 copy; A gets nothing back", async () => {
    const [a, b] = await Promise.all([forkWorker(), forkWorker()])
    await ask(b, 'set', { key: 'order:1', value: 'v1' }) // B's set is a message to A
    await eventually(async () => (await stats(a)).envelopes === 1, { timeoutMs: 5_000, what: "B's set on A" })
    const before = relay.stats()
    await ask(a, 'delete', { key: 'order:1' })
    await eventually(async () => (await ask(b, 'get', { key: 'order:1' })) === null, {
      timeoutMs: 5_000,
      what: "B's copy dropped",
    })
    const after = relay.stats()
    // one message from A, one copy: to B only (never back to A)
    expect(after.received - before.received).toBe(1)
    expect(after.forwarded - before.forwarded).toBe(1)
    const sa = await stats(a)
    expect(sa.envelopes).toBe(1)
    expect(sa.bus).toMatchObject({ connected: true, published: 1, received: 1, errors: 0 })
    expect((await stats(b)).bus).toMatchObject({ connected: true, published: 1, received: 1, errors: 0 })
  })

  it("tag invalidation and clear on A reach B's L1; other namespaces are untouched", async () => {
    const [a, b] = await Promise.all([forkWorker(), forkWorker()])
    await ask(b, 'set', { key: 'order:1', value: 'v1', tags: ['customer:7'] })
    await ask(b, 'set', { key: 'order:2', value: 'v2', tags: ['customer:8'] })
    await ask(b, 'set', { cache: 'b', key: 'order:1', value: 'other namespace' })
    await ask(a, 'invalidateTags', { tags: ['customer:7'] })
    await eventually(async () => (await ask(b, 'get', { key: 'order:1' })) === null, {
      timeoutMs: 5_000,
      what: 'tagged entry invalidated on B',
    })
    expect(await ask(b, 'get', { key: 'order:2' })).toBe('v2')
    await ask(a, 'clear')
    await eventually(async () => (await ask(b, 'get', { key: 'order:2' })) === null, {
      timeoutMs: 5_000,
      what: "B's namespace cleared",
    })
    // bus-b is another channel: neither message touched it
    expect(await ask(b, 'get', { cache: 'b', key: 'order:1' })).toBe('other namespace')
    expect((await stats(b, 'b')).bus.received).toBe(0)
  })

  it('caches of one worker on the same namespace hear each other (the relay skips the sender)', async () => {
    const [a, b] = await Promise.all([forkWorker(), forkWorker()])
    await ask(a, 'set', { cache: 'a2', key: 'k', value: 1 })
    await ask(b, 'set', { cache: 'a2', key: 'k', value: 1 })
    await eventually(async () => (await stats(a, 'a2')).bus.received === 1, {
      timeoutMs: 5_000,
      what: "B's set heard by A's a2",
    })
    await ask(a, 'set', { cache: 'a2', key: 'k', value: 1 }) // B's set dropped A's copy
    const before = relay.stats()
    await ask(a, 'delete', { key: 'k' }) // cache `a`, same namespace as `a2`
    await eventually(
      async () =>
        (await ask(a, 'get', { cache: 'a2', key: 'k' })) === null &&
        (await ask(b, 'get', { cache: 'a2', key: 'k' })) === null,
      { timeoutMs: 5_000, what: 'a2 copies dropped in both workers' },
    )
    expect(relay.stats().forwarded - before.forwarded).toBe(1) // to B only: A's a2 heard it in-process
  })

  it('bad messages are counted, never thrown; the app’s own IPC messages are left alone', async () => {
    const [a, b] = await Promise.all([forkWorker(), forkWorker()])
    const before = relay.stats()
    const errorsBefore = (await stats(b)).bus.errors
    await ask(a, 'raw', { message: { hotpathBus: 1, channel: 'hotpath:cache:bus:bus-a', data: 'not json' } })
    await ask(a, 'raw', { message: { hotpathBus: 1, channel: 'hotpath:cache:bus:bus-a', data: '{"v":2}' } })
    await ask(a, 'raw', { message: { hotpathBus: 1, channel: 42, data: 7 } })
    await ask(a, 'raw', { message: { type: 'app:hello' } })
    await eventually(async () => (await stats(b)).bus.errors - errorsBefore === 2, {
      timeoutMs: 5_000,
      what: 'two bad messages counted on B',
    })
    expect(relay.stats().invalid - before.invalid).toBe(1)
    expect(relay.stats().received - before.received).toBe(2)
    // B still works and still hears good messages
    await ask(b, 'set', { key: 'k', value: 1 })
    await ask(a, 'delete', { key: 'k' })
    await eventually(async () => (await ask(b, 'get', { key: 'k' })) === null, {
      timeoutMs: 5_000,
      what: 'B hears A after the bad messages',
    })
    expect((await stats(b)).bus.connected).toBe(true)
  })

  it('a dead or disconnected worker is skipped and counted; the others keep hearing each other', async () => {
    const [a, b, c, d] = await Promise.all([forkWorker(), forkWorker(), forkWorker(), forkWorker()])
    // c leaves the IPC channel but lives on (still listed by the primary); its bus reports disconnected
    let out = ''
    c.process.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8')
    })
    const disconnected = new Promise<void>((resolve) => c.once('disconnect', () => resolve()))
    await ask(c, 'disconnect')
    await within(5_000, disconnected, 'c disconnected')
    await eventually(() => out.includes('"connected":false'), {
      timeoutMs: 5_000,
      what: "c's bus reports connected: false",
    })
    d.process.kill('SIGKILL') // possibly not yet seen as dead when A's message comes
    const before = relay.stats()
    await ask(b, 'set', { key: 'k', value: 1 })
    await ask(a, 'delete', { key: 'k' })
    await eventually(async () => (await ask(b, 'get', { key: 'k' })) === null, {
      timeoutMs: 5_000,
      what: 'B hears A with a dead and a disconnected worker around',
    })
    const after = relay.stats()
    expect(after.received - before.received).toBe(2) // B's set, A's delete
    expect(after.skipped - before.skipped).toBeGreaterThanOrEqual(2) // c each time (and d once its death was seen)
    c.process.kill('SIGKILL')
  })

  it('a worker forked later hears the messages sent from then on', async () => {
    const a = await forkWorker()
    await ask(a, 'delete', { key: 'early' }) // nobody else to hear it
    const late = await forkWorker()
    await ask(late, 'set', { key: 'k', value: 1 })
    await ask(a, 'delete', { key: 'k' })
    await eventually(async () => (await ask(late, 'get', { key: 'k' })) === null, {
      timeoutMs: 5_000,
      what: 'the late worker hears A',
    })
    expect((await stats(late)).bus.received).toBe(1)
  })
})

describe('roles', () => {
  it('clusterBus() outside a cluster worker throws a coded ClusterRoleError', () => {
    // this test process has an IPC channel (the runner's), but it is no node:cluster worker
    expect(() => clusterBus()).toThrow(ClusterRoleError)
    expect(() => clusterBus()).toThrow(
      expect.objectContaining({ code: 'HOTPATH_CACHE_CLUSTER_ROLE', details: { needed: 'worker' } }),
    )
    expect(() => clusterBus()).toThrow(HotpathError)
  })

  it('clusterBusRelay() outside the primary throws a coded ClusterRoleError', () => {
    const notPrimary = { isPrimary: false } as unknown as typeof cluster
    expect(() => clusterBusRelay({ cluster: notPrimary })).toThrow(
      expect.objectContaining({ code: 'HOTPATH_CACHE_CLUSTER_ROLE', details: { needed: 'primary' } }),
    )
  })

  it('bus.transport is exactly one of the bus targets, and must be a transport', () => {
    const transport = { kind: 'cluster', open: () => ({}) } as never
    expect(() => createCache({ bus: { transport, redisUrl: 'redis://127.0.0.1:6379' } })).toThrow(
      /invalid option "bus.transport".*exactly one of them/,
    )
    expect(() => createCache({ bus: { transport: {} as never } })).toThrow(
      expect.objectContaining({ code: 'HOTPATH_CACHE_INVALID_OPTION' }),
    )
  })

  it('the relay closes idempotently and stops relaying', async () => {
    const listening = cluster.listenerCount('message')
    const r = clusterBusRelay()
    expect(cluster.listenerCount('message')).toBe(listening + 1)
    await r.close()
    await r.close()
    expect(cluster.listenerCount('message')).toBe(listening)
    expect(r.stats()).toEqual({ received: 0, forwarded: 0, skipped: 0, errors: 0, invalid: 0 })
  })
})
