// N+1: one fingerprint executed >= 20 times within 1 s (database clock) with different parameters.
import type { Clock } from '@hotpath/core'
import { describe, expect, it } from 'vitest'
import { createDatabase } from '../src/index.ts'

const manual = () => {
  let t = 0
  const clock: Clock = { now: () => t, epoch: () => 1_700_000_000_000 + t }
  return { clock, advance: (ms: number) => (t += ms) }
}

describe('insight: N+1', () => {
  it('flags 20 executions within 1 s with different parameters, not the same count spread out or repeated', async () => {
    const time = manual()
    await using db = createDatabase({ clock: time.clock, explainSlowQueries: false })
    await db.execute('create table users (id integer primary key, name text)')
    const byId = 'select name from users where id = ?'
    for (let i = 0; i < 19; i++) {
      await db.query(byId, [i])
      time.advance(100) // 19 over 1.9 s: a steady rate, not a burst
    }
    const same = 'select name from users where name = ?'
    for (let i = 0; i < 30; i++) await db.query(same, ['ada']) // repeated, same values: not N+1
    expect(db.nPlusOne()).toEqual([])
    time.advance(2_000)
    for (let i = 0; i < 20; i++) {
      await db.query(byId, [i])
      time.advance(10)
    }
    expect(db.nPlusOne()).toMatchObject([
      { fingerprint: 'select name from users where id = ?', count: 20, distinct: 20 },
    ])
    const analysis = await db.analyze(byId, [1])
    expect(analysis.findings.find((f) => f.kind === 'n-plus-one')).toMatchObject({ table: 'users' })
  })
})
