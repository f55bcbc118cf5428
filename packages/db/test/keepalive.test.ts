// A pending caller keeps the process alive until it settles: each script below has nothing else on
// the event loop, awaits at top level, and must end with the coded error (exit 3) or success (exit 4),
// never with Node's code 13 ("unsettled top-level await").
import { spawn } from 'node:child_process'
import { freePort } from '@hotpath/test-helpers'
import { describe, expect, it } from 'vitest'

const entry = new URL('../src/index.ts', import.meta.url).href

function runScript(body: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const source = `import * as db from ${JSON.stringify(entry)}\n${body}`
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', source], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

describe('a pending caller keeps the process alive', () => {
  it('await pool.acquire() with failing creates ends with the coded error, not exit 13', async () => {
    const r = await runScript(`
      const pool = db.createPool({ create: () => Promise.reject(new Error('refused')), acquireTimeout: 400 })
      try { await pool.acquire() } catch (e) { console.log(e.code); process.exit(3) }
      process.exit(4)
    `)
    expect(r.code).toBe(3)
    expect(r.stdout.trim()).toMatch(/^HOTPATH_DB_/)
  }, 20_000)

  it('await db.query() against an unreachable PostgreSQL ends with a coded error, not exit 13', async () => {
    const port = await freePort()
    const r = await runScript(`
      const d = db.createDatabase({ driver: db.postgres({ connectionString: 'postgres://postgres@127.0.0.1:${port}/test' }), pool: { acquireTimeout: 400 } })
      try { await d.query('SELECT 1') } catch (e) { console.log(e.code); process.exit(3) }
      process.exit(4)
    `)
    expect(r.code).toBe(3)
    expect(r.stdout.trim()).toMatch(/^HOTPATH_DB_/)
  }, 20_000)

  it('await pool.close() during a hung validation settles, not exit 13', async () => {
    const r = await runScript(`
      const pool = db.createPool({ create: () => ({}), validate: () => new Promise(() => {}), validateAfterIdle: 0, closeTimeout: 300, acquireTimeout: 5000 })
      const lease = await pool.acquire()
      lease.release()
      pool.acquire().catch(() => {})
      await pool.close()
      console.log('closed')
      process.exit(4)
    `)
    expect({ code: r.code, out: r.stdout.trim() }).toEqual({ code: 4, out: 'closed' })
  }, 20_000)
})
