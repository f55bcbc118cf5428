// Supervision end to end: WORKERS=2, SIGKILL one worker, the service keeps answering and the primary re-forks;
// MAX_REQUESTS recycling, also when a replacement dies before it listens.
import { get } from 'node:http'
import { eventually } from '@hotpath/test-helpers'
import { afterAll, describe, expect, it } from 'vitest'
import { type ClusterProcess, startCluster, type WorkersAnswer } from './cluster-process.ts'

/** One GET on a fresh connection (no keep-alive pool holding a socket to a dead worker); status or an error. */
function getStatus(url: string, timeoutMs = 10_000): Promise<number | string> {
  return new Promise((resolve) => {
    const req = get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    req.on('error', (error) => resolve(error.message))
  })
}

describe('cluster supervision', () => {
  let cluster: ClusterProcess | undefined
  afterAll(() => cluster?.stop())

  it('re-forks a worker killed with SIGKILL; the service keeps answering and /workers returns to 2', async () => {
    cluster = await startCluster('refork')
    const { port, workers } = cluster
    const listening = (w: WorkersAnswer) => w.workers.filter((x) => x.listening)
    const before = await workers()
    expect(before.restarts).toBe(0)
    const victim = listening(before)[0]?.pid ?? 0
    process.kill(victim, 'SIGKILL')
    // Every request after the kill is answered (by the survivor or the replacement), none hangs.
    const statuses: Array<number | string> = []
    for (let i = 0; i < 10; i++) statuses.push(await getStatus(`http://127.0.0.1:${port}/health`))
    expect(statuses).toEqual(Array(10).fill(200))
    await eventually(
      async () => {
        const now = listening(await workers())
        return now.length === 2 && !now.some((w) => w.pid === victim)
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'a re-forked worker' },
    )
    const after = await workers()
    expect(after.restarts).toBe(1)
    expect(after.workers.map((w) => w.pid)).not.toContain(victim)
    expect(cluster.stderr()).toContain(`worker ${victim} died (SIGKILL)`)
    expect(await getStatus(`http://127.0.0.1:${port}/orders/1`)).toBe(200)
  }, 180_000) // generous: three processes start on a busy 2-core machine
})

describe('cluster MAX_REQUESTS', () => {
  let cluster: ClusterProcess | undefined
  afterAll(() => cluster?.stop())

  it('replaces a worker gracefully after its share of requests, without a failed request', async () => {
    cluster = await startCluster('recycle', { MAX_REQUESTS: '25', MAX_REQUESTS_JITTER: '5' })
    const { port, workers, stderr } = cluster
    const statuses: Array<number | string> = []
    // Four clients, 40 requests each (two on fresh connections, two reusing keep-alive connections): every
    // worker passes its limit at least twice.
    const keepAlive = async (url: string) => {
      try {
        const res = await fetch(url)
        await res.arrayBuffer()
        return res.status
      } catch (error) {
        return String((error as Error & { cause?: { code?: string } }).cause?.code ?? error)
      }
    }
    await Promise.all(
      Array.from({ length: 4 }, async (_, c) => {
        for (let i = 0; i < 40; i++) {
          const url = `http://127.0.0.1:${port}/orders/${1 + ((c * 40 + i) % 50)}`
          statuses.push(c < 2 ? await getStatus(url) : await keepAlive(url))
        }
      }),
    )
    expect(statuses.filter((s) => s !== 200)).toEqual([])
    await eventually(
      async () => {
        const w = await workers()
        return w.recycled >= 2 && w.workers.filter((x) => x.listening).length === 2
      },
      // generous: each replacement is a fresh process loading the app, slow on a starved machine
      {
        timeoutMs: 90_000,
        what: 'recycled workers replaced',
        onTimeout: async () => `workers: ${JSON.stringify(await workers())}; server stderr: ${stderr()}`,
      },
    )
    const final = await workers()
    expect(final.recycled).toBeGreaterThanOrEqual(2)
    expect(final.restarts).toBe(0) // recycling is not a crash: no backoff, no re-fork count
  }, 180_000)
})

describe('cluster MAX_REQUESTS, a replacement that dies before it listens', () => {
  let cluster: ClusterProcess | undefined
  afterAll(() => cluster?.stop())

  it('is forked again for the same retiring worker, which then drains: two workers, not three', async () => {
    cluster = await startCluster('recycle-crash', { MAX_REQUESTS: '10' })
    const { port, workers, stderr } = cluster
    // Requests until a worker retires and its replacement is forked, then SIGKILL the replacement before it
    // listens (a crash at start-up). A replacement that listened first is let be, and the next retirement tried.
    let killed = 0
    for (let round = 0; round < 20 && killed === 0; round++) {
      const before = new Set((await workers()).workers.map((w) => w.pid))
      for (let i = 0; i < 12; i++) await getStatus(`http://127.0.0.1:${port}/orders/${1 + i}`)
      for (let poll = 0; poll < 500 && killed === 0; poll++) {
        const fresh = (await workers()).workers.find((w) => !before.has(w.pid))
        if (fresh === undefined) continue
        if (!fresh.listening) {
          process.kill(fresh.pid, 'SIGKILL')
          killed = fresh.pid
        }
        break
      }
      await eventually(async () => (await workers()).workers.filter((w) => w.listening).length === 2, {
        timeoutMs: 60_000,
        what: 'the replacement or its successor listening, the retired worker gone',
      })
    }
    expect(killed, 'a replacement was caught before it listened').toBeGreaterThan(0)
    await eventually(
      async () => {
        const w = await workers()
        return w.workers.length === 2 && w.workers.every((x) => x.listening) && w.restarts >= 1
      },
      {
        timeoutMs: 60_000,
        what: 'two listening workers after the replacement died',
        onTimeout: async () => `workers: ${JSON.stringify(await workers())}; server stderr: ${stderr()}`,
      },
    )
    expect(await getStatus(`http://127.0.0.1:${port}/orders/1`)).toBe(200)
  }, 240_000)
})
