// SQLite rows are built from node:sqlite's arrays, one object shape per statement: the same names and values as
// node:sqlite's own row objects, on every path (main-thread reads, RETURNING, transactions), and a statement whose
// columns follow the schema (`*`) still sees a column added after it was cached.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDatabase, type Database, sqlite } from '../src/index.ts'

let dir: string
let db: Database
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hp-db-rows-'))
  db = createDatabase({ driver: sqlite({ filename: join(dir, 'rows.db') }), queryCache: false })
  await db.execute('create table t (id integer primary key, name text, price real, data blob)')
  await db.execute('insert into t (id, name, price, data) values (1, ?, 2.5, ?)', [
    'a',
    new Uint8Array([1, 2]),
  ])
})
afterEach(async () => {
  await db.close()
  await rm(dir, { recursive: true, force: true })
})

/** What node:sqlite itself returns for the same statement, as plain objects. */
function nodeRows(sql: string, ...params: unknown[]): unknown[] {
  const raw = new DatabaseSync(join(dir, 'rows.db'), { readOnly: true })
  try {
    return raw
      .prepare(sql)
      .all(...(params as never[]))
      .map((r) => ({ ...r }))
  } finally {
    raw.close()
  }
}

describe('sqlite rows', () => {
  it('have the names and values node:sqlite gives, as plain objects', async () => {
    const sql = 'select id, name, price, data, id + 1 as next, null as empty from t where id = ?'
    const rows = await db.query(sql, [1])
    expect(rows).toEqual(nodeRows(sql, 1))
    expect(rows[0]).toEqual({
      id: 1,
      name: 'a',
      price: 2.5,
      data: new Uint8Array([1, 2]),
      next: 2,
      empty: null,
    })
    expect(Object.getPrototypeOf(rows[0])).toBe(Object.prototype)
  })

  it('keep the last of two columns with one name, and a column named __proto__ as a property', async () => {
    const dup = 'select 1 as a, 2 as a'
    expect(await db.query(dup)).toEqual(nodeRows(dup))
    const proto = await db.query<Record<string, unknown>>('select 7 as "__proto__", 8 as b')
    expect(Object.hasOwn(proto[0] as object, '__proto__')).toBe(true)
    expect(Object.getOwnPropertyDescriptor(proto[0], '__proto__')?.value).toBe(7)
    expect(proto[0]?.b).toBe(8)
  })

  it('names with quotes, spaces and non-ASCII letters', async () => {
    const sql = `select 1 as "it's", 2 as "a b", 3 as "prix €", 4 as "x""y"`
    expect(await db.query(sql)).toEqual([{ "it's": 1, 'a b': 2, 'prix €': 3, 'x"y': 4 }])
  })

  it('RETURNING and reads inside a transaction build the same rows', async () => {
    const inserted = await db.query('insert into t (id, name) values (2, ?) returning id, name', ['b'])
    expect(inserted).toEqual([{ id: 2, name: 'b' }])
    const inTx = await db.transaction((tx) => tx.query('select id, name from t order by id'))
    expect(inTx).toEqual([
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
    ])
  })

  it('a cached select * sees a column added after it was first run', async () => {
    expect(Object.keys((await db.query('select * from t where id = 1'))[0] as object)).toEqual([
      'id',
      'name',
      'price',
      'data',
    ])
    await db.execute('alter table t add column extra text')
    await db.execute("update t set extra = 'x' where id = 1")
    const after = await db.query('select * from t where id = 1')
    expect(after[0]).toMatchObject({ id: 1, extra: 'x' })
  })
})
