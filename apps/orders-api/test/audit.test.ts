// The audit log never blocks a request and loses nothing it acknowledged: overload is backpressure, then
// counted drops; SIGTERM under load flushes every event of a completed write.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createDatabase, sqlite } from '@hotpath/db'
import { freePort } from '@hotpath/test-helpers'
import { afterAll, describe, expect, it } from 'vitest'
import { createAuditQueue } from '../src/audit.ts'
import { migrate } from '../src/schema.ts'
import { startUpstream } from '../src/upstream.ts'
import { orderBody, postOrder, send, waitForJson } from './service.ts'

const server = new URL('../src/server.ts', import.meta.url).pathname
const event = (i: number) => ({
  action: 'order.created' as const,
  orderId: i,
  requestId: `r${i}`,
  detail: '{}',
})

describe('audit queue', () => {
  it('a full queue makes appends wait briefly, then drops and counts them; what was queued is written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'orders-audit-'))
    const file = join(dir, 'a.db')
    const db = createDatabase({ driver: sqlite({ filename: file }), queryCache: false })
    const other = createDatabase({ driver: sqlite({ filename: file }), queryCache: false })
    try {
      await migrate(db)
      await other.execute('CREATE TABLE lock_holder (x INTEGER)')
      const audit = createAuditQueue(db, { capacity: 10, batchSize: 5, interval: 1, backpressure: 20 })
      // Another connection holds the write lock: every flush waits (SQLITE_BUSY, retried) and the queue fills.
      await other.transaction(async (tx) => {
        await tx.execute('INSERT INTO lock_holder VALUES (1)')
        await Promise.all(Array.from({ length: 30 }, (_, i) => audit.append(event(i))))
        expect(audit.stats()).toMatchObject({ queued: 10, dropped: 20, waited: 20 })
      })
      await audit.close()
      expect(audit.stats()).toMatchObject({ queued: 0, written: 10, dropped: 20 })
      const [row] = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM audit')
      expect(Number(row?.n)).toBe(10)
    } finally {
      await other.close()
      await db.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('audit log under SIGTERM', () => {
  let child: ChildProcess | undefined
  let dir = ''
  afterAll(async () => {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child?.once('exit', r))
      child.kill('SIGKILL')
      await exited
    }
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('N completed writes, then SIGTERM while writes are in flight: exactly N audit rows', async () => {
    dir = await mkdtemp(join(tmpdir(), 'orders-audit-term-'))
    const upstream = await startUpstream(1)
    const port = await freePort()
    const file = join(dir, 'o.db')
    child = spawn(process.execPath, [server], {
      env: {
        ...process.env,
        MODE: 'optimized',
        SEED: 'small',
        WORKERS: '1', // one process: the test counts its audit queue's rows
        PORT: String(port),
        SQLITE_FILE: file,
        UPSTREAM_URL: upstream.origin,
      },
      stdio: 'ignore',
    })
    const exit = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)))
    const origin = `http://127.0.0.1:${port}`
    await waitForJson(`${origin}/health`, 60_000)
    let completed = 0
    let stopped = false
    // 8 writers: POST an order, then PATCH it to paid; every 2xx is one audit event.
    const writer = async (w: number) => {
      for (let i = 0; !stopped; i++) {
        try {
          const res = await postOrder(origin, orderBody(1 + ((w + i) % 100), 1 + ((w * 97 + i) % 1000)))
          if (res.status === 201) {
            completed++
            const { id } = (await res.json()) as { id: number }
            const paid = await send(origin, 'PATCH', `/orders/${id}`, { status: 'paid' })
            if (paid.status === 200) completed++
            await paid.arrayBuffer()
          } else await res.arrayBuffer()
        } catch {
          stopped = true // connection refused or reset: the server is going away
        }
      }
    }
    const writers = Array.from({ length: 8 }, (_, w) => writer(w))
    while (completed < 200) await new Promise((r) => setTimeout(r, 20))
    child.kill('SIGTERM')
    await Promise.all(writers)
    expect(await exit).toBe(0)
    await upstream.close()
    const db = createDatabase({ driver: sqlite({ filename: file }), queryCache: false })
    try {
      const [row] = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM audit')
      expect(completed).toBeGreaterThanOrEqual(200)
      expect(Number(row?.n)).toBe(completed)
    } finally {
      await db.close()
    }
  }, 120_000)
})
