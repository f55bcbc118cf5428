// Graceful SIGTERM: stop accepting, finish in-flight requests, close pools and caches, exit 0 by itself.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, get } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eventually, freePort } from '@hotpath/test-helpers'
import { afterAll, describe, expect, it } from 'vitest'
import { upstreamHandler } from '../src/upstream.ts'
import { waitForJson } from './service.ts'

const server = new URL('../src/server.ts', import.meta.url).pathname

describe.each([1, 2])('graceful SIGTERM (WORKERS=%i)', (workers) => {
  let child: ChildProcess | undefined
  let dir = ''
  let releaseUpstream: () => void = () => {}
  const handler = upstreamHandler({ latency: 0, errorRate: 0, maxAge: 60 }, { requests: 0 })
  const upstream = createServer((req, res) => {
    const answer = () => handler(req, res)
    // /rates/EUR (order 1's currency) is held until the test releases it: a slow in-flight request.
    if (req.url?.includes('EUR')) releaseUpstream = answer
    else answer()
  })
  afterAll(async () => {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child?.once('exit', r))
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {}
      await exited
    }
    upstream.closeAllConnections()
    await new Promise((r) => upstream.close(r))
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('a slow in-flight request completes with 200 after SIGTERM; the process exits 0 by itself', async () => {
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
    dir = await mkdtemp(join(tmpdir(), 'orders-sigterm-'))
    const port = await freePort()
    child = spawn(process.execPath, [server], {
      env: {
        ...process.env,
        MODE: 'optimized', // Vitest sets MODE=test in its own environment
        SEED: 'small',
        PORT: String(port),
        WORKERS: String(workers),
        METRICS_PORT: String(await freePort()),
        SQLITE_FILE: join(dir, 'o.db'),
        UPSTREAM_URL: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
      },
      stdio: 'ignore',
      detached: true, // own process group, so afterAll can kill the tree
    })
    const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child?.once('exit', (code, signal) => resolve({ code, signal })),
    )
    await waitForJson(`http://127.0.0.1:${port}/health`, 60_000)
    let held = false
    const inFlight = new Promise<{ status: number; body: string }>((resolve, reject) => {
      get(`http://127.0.0.1:${port}/orders/1`, { agent: false }, (res) => {
        let body = ''
        res.on('data', (c) => {
          body += c
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      }).on('error', reject)
    })
    await eventually(
      () => {
        held = releaseUpstream.name === 'answer'
        return held
      },
      { timeoutMs: 30_000, what: 'the request waiting on the upstream' },
    )
    child.kill('SIGTERM')
    // Let the server see the signal while the request is still in flight, then answer it.
    await new Promise((r) => setTimeout(r, 300))
    releaseUpstream()
    const res = await inFlight
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body)).toMatchObject({ id: 1 })
    expect(await exit).toEqual({ code: 0, signal: null })
  }, 120_000)
})
