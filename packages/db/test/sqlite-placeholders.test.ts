// One SQL text for both drivers: `$1` placeholders on SQLite.
import { describe, expect, it } from 'vitest'
import { createDatabase } from '../src/index.ts'
import { rewriteDollarParams } from '../src/drivers/sqlite.ts'

describe('$n placeholders on SQLite', () => {
  it('binds $1, $2 by number, also reused and out of order', async () => {
    await using db = createDatabase()
    expect(await db.query('SELECT $1 AS a, $2 AS b, $1 AS c', [1, 2])).toEqual([{ a: 1, b: 2, c: 1 }])
    expect(await db.query('SELECT $2 AS b, $1 AS a', [1, 2])).toEqual([{ b: 2, a: 1 }])
    await db.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')
    await db.execute('INSERT INTO t (id, v) VALUES ($1, $2)', [7, 'seven'])
    expect(await db.query('SELECT v FROM t WHERE id = $1 AND v = $2', [7, 'seven'])).toEqual([{ v: 'seven' }])
    expect(await db.transaction(async (tx) => tx.query('SELECT v FROM t WHERE id = $1', [7]))).toEqual([
      { v: 'seven' },
    ])
    await expect(db.query('SELECT $1 AS a, $2 AS b', [1])).rejects.toMatchObject({
      code: 'HOTPATH_DB_PARAMETER_COUNT',
    })
  })

  it('leaves $1 inside string literals, quoted names and comments alone', async () => {
    await using db = createDatabase()
    const rows = await db.query(`SELECT '$1' AS lit, $1 AS v /* $3 */ -- $2 in a comment\n`, ['x'])
    expect(rows).toEqual([{ lit: '$1', v: 'x' }])
    expect(rewriteDollarParams(`SELECT '$1', $1 /* $2 */, "a$3", [$4], $10 -- $5`)).toBe(
      `SELECT '$1', ?1 /* $2 */, "a$3", [$4], ?10 -- $5`,
    )
  })

  it('an error shows the SQL as written, not the rewrite', async () => {
    await using db = createDatabase()
    const error = (await db.query('SELECT x FROM nope WHERE id = $1', [1]).catch((e: unknown) => e)) as Error
    expect(error.message).toMatch(/no such table: nope/)
    expect(error.message).not.toContain('?1')
  })
})
