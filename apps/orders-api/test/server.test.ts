import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '@hotpath/test-helpers'
import { afterAll, describe, expect, it } from 'vitest'

const server = new URL('../src/server.ts', import.meta.url).pathname

async function waitForOk(url: string, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs
  for (;;) {
    try {
      if ((await fetch(url)).ok) return
    } catch {}
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${deadlineMs} ms`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('server in cluster mode', () => {
  let child: ChildProcess | undefined
  let dir = ''
  afterAll(async () => {
    child?.kill('SIGTERM')
    await rm(dir, { recursive: true, force: true })
  })

  it('runs real node:cluster workers and serves one merged /metrics and report from the primary', async () => {
    dir = await mkdtemp(join(tmpdir(), 'orders-cluster-'))
    const [port, metricsPort] = [await freePort(), await freePort()]
    child = spawn(process.execPath, [server], {
      env: {
        ...process.env,
        MODE: 'optimized', // Vitest sets MODE=test in its own environment
        SEED: 'small',
        DEBUG_TOKEN: 'cluster-debug-token-0123',
        WORKERS: '2',
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        SQLITE_FILE: join(dir, 'o.db'),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr?.on('data', (chunk) => {
      stderr += chunk
    })
    await waitForOk(`http://127.0.0.1:${port}/health`, 60_000).catch((error: Error) => {
      throw new Error(`${error.message}; server stderr: ${stderr}`)
    })
    for (let i = 1; i <= 12; i++)
      expect((await fetch(`http://127.0.0.1:${port}/orders/${i}`)).status).toBe(200)
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()
    const counts = [
      ...text.matchAll(
        /^http_server_request_duration_seconds_count\{[^}]*http_route="\/orders\/:id"[^}]*\} (\d+)/gm,
      ),
    ]
    expect(counts.reduce((sum, m) => sum + Number(m[1]), 0)).toBe(12)
    expect((await fetch(`http://127.0.0.1:${metricsPort}/debug/performance`)).status).toBe(401)
    const report = (await (
      await fetch(`http://127.0.0.1:${metricsPort}/debug/performance`, {
        headers: { authorization: 'Bearer cluster-debug-token-0123' },
      })
    ).json()) as {
      processes: number
      routes: Array<{ route: string; count: number }>
    }
    expect(report.processes).toBe(3) // the primary and two workers
    expect(report.routes.find((r) => r.route === '/orders/:id')?.count).toBe(12)
  })
})
