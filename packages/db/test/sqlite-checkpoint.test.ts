// The WAL checkpoint of a file database runs on a worker thread, never inside a commit on the event loop: with
// SQLite's own autocheckpoint, the commit that takes the WAL past 1000 pages copies them into the database file
// and fsyncs it on the main thread (10-14 ms here under the demo's load: every in-flight request waits).
import { statSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { eventually } from '@hotpath/test-helpers'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { systemClock } from '@hotpath/core'
import { WalCheckpointer } from '../src/drivers/sqlite-checkpointer.ts'
import { createDatabase, type Database, sqlite } from '../src/index.ts'

let dir: string
const opened: Database[] = []
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hp-db-ckpt-'))
})
afterEach(async () => {
  await Promise.all(opened.splice(0).map((db) => db.close()))
  await rm(dir, { recursive: true, force: true })
})

function open(file: string, options: Parameters<typeof sqlite>[0] = {}): Database {
  const db = createDatabase({ driver: sqlite({ filename: file, ...options }), queryCache: false })
  opened.push(db)
  return db
}

/** One transaction of 1,500 rows of 4 KiB each: one commit that takes the WAL well past 1000 pages. */
async function writeManyPages(db: Database): Promise<void> {
  const blob = 'x'.repeat(4096)
  await db.transaction(async (tx) => {
    for (let i = 0; i < 1500; i++) await tx.execute('insert into t (v) values (?)', [blob])
  })
}

/** Frames in the WAL and how many of them are in the database file (a PASSIVE checkpoint that copies nothing new). */
function walState(file: string): { log: number; checkpointed: number } {
  const probe = new DatabaseSync(file)
  try {
    probe.exec('PRAGMA wal_autocheckpoint = 0')
    return probe.prepare('PRAGMA wal_checkpoint(NOOP)').get() as { log: number; checkpointed: number }
  } catch {
    // SQLite before 3.51 has no NOOP mode: read the counts without copying through a read transaction's view.
    return probe.prepare('PRAGMA wal_checkpoint(PASSIVE)').get() as { log: number; checkpointed: number }
  } finally {
    probe.close()
  }
}

describe('sqlite: WAL checkpoints', () => {
  it('a commit never checkpoints on the event loop; a worker thread does it soon after', async () => {
    const file = join(dir, 'db.sqlite')
    const db = open(file)
    await db.execute('create table t (id integer primary key, v blob)')
    const before = statSync(file).size
    await writeManyPages(db)
    // Nothing ran between the commit and here but microtasks: the database file is as the commit left it.
    expect(statSync(file).size).toBe(before)
    await eventually(() => (db.stats().checkpoints?.runs ?? 0) >= 1, { what: 'the background checkpoint' })
    expect(statSync(file).size).toBeGreaterThan(before + 1500 * 4096)
    const stats = db.stats().checkpoints
    expect(stats?.mode).toBe('background')
    expect(stats?.runs).toBeGreaterThanOrEqual(1)
    expect(stats?.errors).toBe(0)
    expect(stats?.lastCheckpointed).toBeGreaterThan(1500)
    const rows = await db.query<{ n: number }>('select count(*) as n from t')
    expect(rows[0]?.n).toBe(1500)
  })

  it("checkpoint: 'inline' keeps SQLite's own autocheckpoint inside the commit", async () => {
    const file = join(dir, 'inline.sqlite')
    const db = open(file, { checkpoint: 'inline' })
    await db.execute('create table t (id integer primary key, v blob)')
    const before = statSync(file).size
    await writeManyPages(db)
    expect(statSync(file).size).toBeGreaterThan(before + 1000 * 4096)
    expect(db.stats().checkpoints).toBeUndefined()
  })

  it('every checkpointed frame is in the database file once the background checkpoint ran', async () => {
    const file = join(dir, 'full.sqlite')
    const db = open(file, { checkpointInterval: 10 })
    await db.execute('create table t (id integer primary key, v blob)')
    await writeManyPages(db)
    await eventually(() => (db.stats().checkpoints?.lastCheckpointed ?? 0) > 1500, { what: 'a checkpoint' })
    const state = walState(file)
    expect(state.checkpointed).toBe(state.log)
  })

  it('an explicit wal_autocheckpoint pragma is the inline bound the user asked for', async () => {
    const file = join(dir, 'explicit.sqlite')
    const db = open(file, { pragmas: { wal_autocheckpoint: 100 } })
    await db.execute('create table t (id integer primary key, v blob)')
    const before = statSync(file).size
    await writeManyPages(db)
    expect(statSync(file).size).toBeGreaterThan(before + 1000 * 4096)
  })

  it('no checkpointer for an in-memory database or a journal that is not WAL', async () => {
    const memory = open(':memory:')
    await memory.execute('create table t (v)')
    expect(memory.stats().checkpoints).toBeUndefined()
    const rollback = open(join(dir, 'delete.sqlite'), { pragmas: { journal_mode: 'DELETE' } })
    await rollback.execute('create table t (v)')
    expect(rollback.stats().checkpoints).toBeUndefined()
  })

  it('close() waits for a checkpoint in flight and leaves no thread behind', async () => {
    const file = join(dir, 'close.sqlite')
    const db = open(file, { checkpointInterval: 1 })
    await db.execute('create table t (id integer primary key, v blob)')
    await writeManyPages(db)
    await eventually(() => (db.stats().checkpoints?.requested ?? 0) >= 1, { what: 'a checkpoint request' })
    await db.close()
    expect(db.stats().checkpoints?.inFlight).toBe(false)
    // The last connection's close checkpointed and removed the WAL: every row is in the file.
    const probe = new DatabaseSync(file, { readOnly: true })
    const n = (probe.prepare('select count(*) as n from t').get() as { n: number }).n
    probe.close()
    expect(n).toBe(1500)
  })

  it('a checkpoint worker that cannot open the file reports the failure once, and close() still settles', async () => {
    const failures: Error[] = []
    const checkpointer = new WalCheckpointer(join(dir, 'missing', 'x.db'), 10, systemClock, (e) =>
      failures.push(e),
    )
    checkpointer.wrote()
    await eventually(() => failures.length > 0, { what: 'the failure' })
    expect(failures[0]?.message).toMatch(/unable to open|could not open/)
    expect(checkpointer.stats()).toMatchObject({ failed: true, requested: 0, inFlight: false })
    await expect(checkpointer.close()).resolves.toBeUndefined()
    expect(failures).toHaveLength(1)
  })

  it('checks its options', () => {
    expect(() => sqlite({ filename: 'x.db', checkpoint: 'sometimes' as 'inline' })).toThrow(
      /checkpoint.*background.*inline/,
    )
    expect(() => sqlite({ filename: 'x.db', checkpointInterval: 0 })).toThrow(/checkpointInterval/)
  })
})
