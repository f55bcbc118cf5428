// Without Redis, WORKERS=2 keeps the workers' caches coherent through the cluster IPC bus of @hotpath/cache:
// a PATCH answered by one worker is seen by reads on the other worker (whose L1 held the old order) within
// 100 ms, not after the 30 s TTL; and an Idempotency-Key claimed on one worker holds on the other (the records
// live in the shared database). Real processes (SQLite, no Redis): the primary relays, the workers cache.
import { Agent, request } from 'node:http'
import { eventually } from '@hotpath/test-helpers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ClusterProcess, startCluster } from './cluster-process.ts'

const TOKEN = 'cluster-bus-test-token-0123'

interface Answer {
  status: number
  body: unknown
}

/** One request on a kept-alive connection of `agent` (maxSockets 1: always the same connection). */
function call(
  agent: Agent,
  port: number,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        timeout: 10_000,
        headers: {
          ...headers,
          authorization: `Bearer ${TOKEN}`,
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
        },
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          text += chunk
        })
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }),
        )
      },
    )
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 10 s`)))
    req.on('error', reject)
    req.end(payload)
  })
}

type CacheStats = { cache: { l1Hits: number; bus: { connected: boolean; received: number } | undefined } }

describe('cluster without Redis', () => {
  let cluster: ClusterProcess | undefined
  let port = 0
  const agents: Agent[] = []
  /** One kept-alive connection to each of the two workers. */
  let a: Agent
  let b: Agent
  let pidB = 0
  afterAll(async () => {
    for (const a of agents) a.destroy()
    await cluster?.stop()
  })

  beforeAll(async () => {
    // no Redis: the cluster bus is the only way between the workers
    cluster = await startCluster('cluster-bus', { REDIS_URL: '', DEBUG_TOKEN: TOKEN })
    port = cluster.port

    // One kept-alive connection per worker: open connections until two of them landed on different workers
    // (the kernel picks the worker of each connection; /health says which one answered).
    const byPid = new Map<number, Agent>()
    for (let i = 0; i < 200 && byPid.size < 2; i++) {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 })
      agents.push(agent)
      const { body } = await call(agent, port, 'GET', '/health')
      const pid = (body as { pid: number }).pid
      if (byPid.has(pid)) agent.destroy()
      else byPid.set(pid, agent)
    }
    if (byPid.size !== 2) throw new Error(`200 connections all landed on one worker (${[...byPid.keys()]})`)
    ;[[, a], [pidB, b]] = [...byPid] as [[number, Agent], [number, Agent]]
  }, 120_000) // generous: three processes start on a busy 2-core machine

  it("a PATCH on one worker is seen by the other worker's reads within 100 ms", async () => {
    const order = 7
    const statusOf = async (agent: Agent) =>
      ((await call(agent, port, 'GET', `/orders/${order}`)).body as { status: string }).status
    // Both workers hold the order in L1 (the second read of each is an L1 hit).
    const before = await statusOf(a)
    expect(await statusOf(b)).toBe(before)
    const hitsBefore = ((await call(b, port, 'GET', '/debug/cache-stats')).body as CacheStats).cache.l1Hits
    expect(await statusOf(b)).toBe(before)
    const statsB = ((await call(b, port, 'GET', '/debug/cache-stats')).body as CacheStats).cache
    expect(statsB.l1Hits).toBeGreaterThan(hitsBefore)
    expect(statsB.bus?.connected).toBe(true)

    const next = before === 'open' ? 'paid' : before === 'paid' ? 'shipped' : undefined
    expect(next, `order ${order} starts open or paid (SEED small)`).toBeDefined()
    const patched = await call(a, port, 'PATCH', `/orders/${order}`, { status: next })
    expect(patched.status).toBe(200)
    // Without the bus, B would answer `before` from its L1 for up to 30 s (the TTL).
    await eventually(async () => (await statusOf(b)) === next, {
      timeoutMs: 100,
      intervalMs: 5,
      what: `worker ${pidB} reading order ${order} as ${next}`,
    })
    expect(await statusOf(a)).toBe(next)
    const received = ((await call(b, port, 'GET', '/debug/cache-stats')).body as CacheStats).cache.bus
      ?.received
    expect(received).toBeGreaterThan(0)
  })

  it('10 concurrent POSTs with one Idempotency-Key on both workers create one order', async () => {
    const body = { customer: 3, currency: 'EUR', lines: [{ product: 5, quantity: 1 }] }
    const headers = { 'idempotency-key': 'cluster-idempotency-1' }
    // Five on each worker's connection: the first of each runs at the same time as the other's.
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => call(i % 2 === 0 ? a : b, port, 'POST', '/orders', body, headers)),
    )
    const created = answers.filter((r) => r.status === 201).map((r) => (r.body as { id: number }).id)
    expect(answers.every((r) => r.status === 201 || r.status === 409)).toBe(true)
    expect(created.length).toBeGreaterThanOrEqual(1)
    expect(new Set(created).size).toBe(1)
    // A retry after the first completed gets the same order back, on either worker.
    for (const agent of [a, b]) {
      const retry = await call(agent, port, 'POST', '/orders', body, headers)
      expect(retry.status).toBe(201)
      expect((retry.body as { id: number }).id).toBe(created[0])
    }
  })
})
