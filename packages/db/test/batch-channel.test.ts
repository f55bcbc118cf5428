// db.batch() publishes each statement on hotpath:db:query, as stats() counts it.
import { capture } from '@hotpath/test-helpers'
import { describe, expect, it } from 'vitest'
import { createDatabase } from '../src/index.ts'

describe('batch diagnostics', () => {
  it('publishes one hotpath:db:query message per batched statement', async () => {
    await using db = createDatabase({ name: 'b' })
    await db.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')
    const events = capture<{ database: string; operation: string; fingerprint: string; rows: number }>(
      'hotpath:db:query',
    )
    await db.batch([
      ['INSERT INTO t (v) VALUES (?)', ['a']],
      ['INSERT INTO t (v) VALUES (?)', ['b']],
      'SELECT v FROM t',
    ])
    events.stop()
    expect(events.messages.map((m) => [m.database, m.operation, m.rows])).toEqual([
      ['b', 'INSERT', 1],
      ['b', 'INSERT', 1],
      ['b', 'SELECT', 2],
    ])
    const counted = db.stats().queries.reduce((n, q) => n + q.count, 0)
    expect(counted).toBe(4) // CREATE + the three batched statements
  })
})
