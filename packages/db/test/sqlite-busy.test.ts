// SQLite across processes: another process holding the write lock never blocks this process's event
// loop (busy waits are async retries), SQLITE_BUSY past the deadline is HOTPATH_DB_BUSY, and a write on
// the database (not the tx handle) inside transaction() is a coded error at once.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { HotpathError } from '@hotpath/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDatabase, type Database, sqlite } from '../src/index.ts'

let dir: string
const opened: Database[] = []
const children: ChildProcess[] = []
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hp-db-busy-'))
})
afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL')
  await Promise.all(opened.splice(0).map((db) => db.close()))
  await rm(dir, { recursive: true, force: true })
})

/** A child that takes the write lock (BEGIN IMMEDIATE), says 'locked', holds it across awaits, then commits. */
function holdLock(file: string, holdMs: number): Promise<{ locked: Promise<void>; done: Promise<number> }> {
  const source = `
    const { DatabaseSync } = require('node:sqlite')
    const db = new DatabaseSync(${JSON.stringify(file)})
    db.exec('PRAGMA journal_mode = WAL')
    db.exec('BEGIN IMMEDIATE')
    db.exec("INSERT INTO t (v) VALUES ('child')")
    const t0 = performance.now()
    process.stdout.write('locked\\n')
    setTimeout(() => {
      db.exec('COMMIT')
      process.stdout.write('held ' + (performance.now() - t0) + '\\n')
      db.close()
    }, ${holdMs})
  `
  const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(child)
  let out = ''
  let onLocked!: () => void
  let onDone!: (ms: number) => void
  const locked = new Promise<void>((r) => (onLocked = r))
  const done = new Promise<number>((r) => (onDone = r))
  child.stdout!.on('data', (d) => {
    out += d
    if (out.includes('locked')) onLocked()
    const m = /held ([\d.]+)/.exec(out)
    if (m) onDone(Number(m[1]))
  })
  return Promise.resolve({ locked, done })
}

describe('SQLite write lock held by another process', () => {
  it('writes wait without blocking the event loop, and succeed once the lock is released', async () => {
    const file = join(dir, 'busy.db')
    const db = createDatabase({ driver: sqlite({ filename: file }) })
    opened.push(db)
    await db.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')
    const child = await holdLock(file, 1_000)
    await child.locked
    const h = monitorEventLoopDelay({ resolution: 10 })
    h.enable()
    await new Promise((r) => setTimeout(r, 30))
    const results = await Promise.all([
      db.execute("INSERT INTO t (v) VALUES ('a')"),
      db.execute("INSERT INTO t (v) VALUES ('b')"),
    ])
    // Let the histogram's timer fire once more, so a block that ended just now is recorded.
    await new Promise((r) => setTimeout(r, 50))
    h.disable()
    const heldMs = await child.done
    const maxDelayMs = h.max / 1e6
    expect(results.map((r) => r.rowCount)).toEqual([1, 1])
    expect(heldMs).toBeGreaterThanOrEqual(900)
    // The lock was held ~1 s; a main thread sleeping in the busy handler would show a delay of that size.
    expect(maxDelayMs).toBeLessThan(Math.min(200, heldMs / 4))
    expect(await db.query('SELECT v FROM t ORDER BY id')).toEqual([{ v: 'child' }, { v: 'a' }, { v: 'b' }])
  })

  it('writes that waited for the lock land in the order they were issued', async () => {
    const file = join(dir, 'order.db')
    const db = createDatabase({ driver: sqlite({ filename: file }) })
    opened.push(db)
    await db.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')
    const child = await holdLock(file, 600)
    await child.locked
    // The first write has waited long enough to retry only every 50 ms; the later ones, issued just before the
    // lock is released, retry after 1, 2, 4, 8, 16 ms: with independent retries they would get in first.
    const first = db.execute("INSERT INTO t (v) VALUES ('first')")
    await new Promise((r) => setTimeout(r, 540))
    const later = Array.from({ length: 9 }, (_, i) => db.execute(`INSERT INTO t (v) VALUES ('w${i + 1}')`))
    await Promise.all([first, ...later])
    await child.done
    const order = (await db.query<{ v: string }>('SELECT v FROM t ORDER BY id')).map((r) => r.v)
    expect(order).toEqual(['child', 'first', 'w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7', 'w8', 'w9'])
  })

  it('past busy_timeout a write fails with the retryable HOTPATH_DB_BUSY', async () => {
    const file = join(dir, 'busy2.db')
    const db = createDatabase({ driver: sqlite({ filename: file, pragmas: { busy_timeout: 150 } }) })
    opened.push(db)
    await db.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')
    const child = await holdLock(file, 1_500)
    await child.locked
    const error = (await db
      .execute("INSERT INTO t (v) VALUES ('x')")
      .catch((e: unknown) => e)) as HotpathError
    expect(error).toBeInstanceOf(HotpathError)
    expect(error.code).toBe('HOTPATH_DB_BUSY')
    const txError = (await db
      .transaction(async (tx) => tx.execute('SELECT 1'))
      .catch((e: unknown) => e)) as HotpathError
    expect(txError.code).toBe('HOTPATH_DB_BUSY')
    await child.done
  })
})

describe('SQLite transaction()', () => {
  it('db.execute() inside transaction() is a coded error at once, not a wait for itself', async () => {
    const db = createDatabase({ pool: { acquireTimeout: 20_000 } })
    opened.push(db)
    await db.execute('CREATE TABLE t (v TEXT)')
    const t0 = performance.now()
    const error = (await db
      .transaction(async (tx) => {
        await tx.execute("INSERT INTO t VALUES ('in tx')")
        await db.execute("INSERT INTO t VALUES ('outside the handle')")
      })
      .catch((e: unknown) => e)) as HotpathError
    expect(error).toBeInstanceOf(HotpathError)
    expect(error.code).toBe('HOTPATH_DB_NESTED_TRANSACTION')
    expect(performance.now() - t0).toBeLessThan(10_000) // acquireTimeout is 20 s
    expect(await db.query('SELECT v FROM t')).toEqual([]) // rolled back
  })
})
