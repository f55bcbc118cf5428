// Supervision end to end: WORKERS=2, SIGKILL one worker, the service keeps answering and the primary re-forks.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { get } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eventually, freePort } from '@hotpath/test-helpers'
import { afterAll, describe, expect, it } from 'vitest'

const server = new URL('../src/server.ts', import.meta.url).pathname

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

async function getJson<T>(url: string): Promise<T | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) })
    return res.ok ? ((await res.json()) as T) : undefined
  } catch {
    return undefined
  }
}

type Workers = { workers: Array<{ pid: number; listening: boolean }>; restarts: number }

describe('cluster supervision', () => {
  let child: ChildProcess | undefined
  let dir = ''
  afterAll(async () => {
    // The primary leads its own process group: kill the whole tree (primary and workers), whatever state it is in.
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child?.once('exit', r))
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {}
      await exited
    }
    child?.stderr?.destroy()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('re-forks a worker killed with SIGKILL; the service keeps answering and /workers returns to 2', async () => {
    dir = await mkdtemp(join(tmpdir(), 'orders-refork-'))
    const [port, metricsPort] = [await freePort(), await freePort()]
    child = spawn(process.execPath, [server], {
      env: {
        ...process.env,
        MODE: 'optimized', // Vitest sets MODE=test in its own environment
        SEED: 'small',
        WORKERS: '2',
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        SQLITE_FILE: join(dir, 'o.db'),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true, // own process group, so afterAll can kill the tree
    })
    let stderr = ''
    child.stderr?.on('data', (chunk) => {
      stderr += chunk
    })
    const workersUrl = `http://127.0.0.1:${metricsPort}/workers`
    const listening = (w: Workers | undefined) => w?.workers.filter((x) => x.listening) ?? []
    await eventually(async () => listening(await getJson<Workers>(workersUrl)).length === 2, {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: `2 listening workers (server stderr: ${stderr})`,
    })
    const before = (await getJson<Workers>(workersUrl)) as Workers
    expect(before.restarts).toBe(0)
    const victim = listening(before)[0]?.pid ?? 0
    process.kill(victim, 'SIGKILL')
    // Every request after the kill is answered (by the survivor or the replacement), none hangs.
    const statuses: Array<number | string> = []
    for (let i = 0; i < 10; i++) statuses.push(await getStatus(`http://127.0.0.1:${port}/health`))
    expect(statuses).toEqual(Array(10).fill(200))
    await eventually(
      async () => {
        const now = listening(await getJson<Workers>(workersUrl))
        return now.length === 2 && !now.some((w) => w.pid === victim)
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'a re-forked worker' },
    )
    const after = (await getJson<Workers>(workersUrl)) as Workers
    expect(after.restarts).toBe(1)
    expect(after.workers.map((w) => w.pid)).not.toContain(victim)
    expect(stderr).toContain(`worker ${victim} died (SIGKILL)`)
    expect(await getStatus(`http://127.0.0.1:${port}/orders/1`)).toBe(200)
  }, 180_000) // generous: three processes start on a busy 2-core machine
})

describe('cluster MAX_REQUESTS', () => {
  let child: ChildProcess | undefined
  let dir = ''
  afterAll(async () => {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child?.once('exit', r))
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {}
      await exited
    }
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('replaces a worker gracefully after its share of requests, without a failed request', async () => {
    dir = await mkdtemp(join(tmpdir(), 'orders-recycle-'))
    const [port, metricsPort] = [await freePort(), await freePort()]
    child = spawn(process.execPath, [server], {
      env: {
        ...process.env,
        MODE: 'optimized',
        SEED: 'small',
        WORKERS: '2',
        MAX_REQUESTS: '25',
        MAX_REQUESTS_JITTER: '5',
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        SQLITE_FILE: join(dir, 'o.db'),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    })
    let stderr = ''
    child.stderr?.on('data', (chunk) => {
      stderr += chunk
    })
    const workers = () => getJson<Workers & { recycled: number }>(`http://127.0.0.1:${metricsPort}/workers`)
    await eventually(async () => (await workers())?.workers.filter((w) => w.listening).length === 2, {
      timeoutMs: 60_000,
      what: '2 listening workers',
    })
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
        return (w?.recycled ?? 0) >= 2 && w?.workers.filter((x) => x.listening).length === 2
      },
      // generous: each replacement is a fresh process loading the app, slow on a starved machine
      {
        timeoutMs: 90_000,
        what: 'recycled workers replaced',
        onTimeout: async () => `workers: ${JSON.stringify(await workers())}; server stderr: ${stderr}`,
      },
    )
    const final = await workers()
    expect(final?.recycled).toBeGreaterThanOrEqual(2)
    expect(final?.restarts).toBe(0) // recycling is not a crash: no backoff, no re-fork count
  }, 180_000)
})

describe('cluster MAX_REQUESTS, a replacement that dies before it listens', () => {
  let child: ChildProcess | undefined
  let dir = ''
  afterAll(async () => {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child?.once('exit', r))
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {}
      await exited
    }
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('is forked again for the same retiring worker, which then drains: two workers, not three', async () => {
    dir = await mkdtemp(join(tmpdir(), 'orders-recycle-crash-'))
    const [port, metricsPort] = [await freePort(), await freePort()]
    child = spawn(process.execPath, [server], {
      env: {
        ...process.env,
        MODE: 'optimized',
        SEED: 'small',
        WORKERS: '2',
        MAX_REQUESTS: '10',
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        SQLITE_FILE: join(dir, 'o.db'),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    })
    let stderr = ''
    child.stderr?.on('data', (chunk) => {
      stderr += chunk
    })
    const workers = async () =>
      (await getJson<Workers & { recycled: number }>(`http://127.0.0.1:${metricsPort}/workers`)) ?? {
        workers: [],
        restarts: 0,
        recycled: 0,
      }
    await eventually(async () => (await workers()).workers.filter((w) => w.listening).length === 2, {
      timeoutMs: 60_000,
      what: '2 listening workers',
    })
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
        onTimeout: async () => `workers: ${JSON.stringify(await workers())}; server stderr: ${stderr}`,
      },
    )
    expect(await getStatus(`http://127.0.0.1:${port}/orders/1`)).toBe(200)
  }, 240_000)
})
