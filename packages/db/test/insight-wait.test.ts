// Pool wait is not query time: a statement that waited for the connection but ran fast is not slow.
// Fake time drives the pool, the database clock and the transaction holding the writer.
import { capture } from '@hotpath/test-helpers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createDatabase } from '../src/index.ts'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('insight: wait vs execution', () => {
  it('reports waitMs separately; slow means execution time', async () => {
    await using db = createDatabase({ slowQueryThreshold: 50, explainSlowQueries: false })
    await db.execute('CREATE TABLE t (v TEXT)')
    const events = capture<{ operation: string; durationMs: number; waitMs: number }>('hotpath:db:query')
    const tx = db.transaction(async (t) => {
      await t.execute("INSERT INTO t VALUES ('tx')")
      await new Promise((r) => setTimeout(r, 200))
    })
    const waiting = db.execute("INSERT INTO t VALUES ('after')")
    await vi.advanceTimersByTimeAsync(200)
    await tx
    await waiting
    events.stop()
    const insert = events.messages.filter((m) => m.operation === 'INSERT').at(-1)!
    expect(insert.waitMs).toBeGreaterThanOrEqual(200)
    expect(insert.durationMs).toBeLessThan(50)
    expect(await db.slowQueries()).toEqual([])
  })
})
