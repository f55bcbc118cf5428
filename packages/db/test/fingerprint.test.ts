import { describe, expect, it } from 'vitest'
import { fingerprint } from '../src/index.ts'

describe('fingerprint', () => {
  it('gives equivalent statements the same fingerprint', () => {
    const variants = [
      "SELECT * FROM orders WHERE id = 42 AND status = 'open'",
      "select *\n  from ORDERS -- trailing comment\n where id=7 and status = 'closed'",
      '/* leading */ SELECT * FROM orders WHERE id = $1 AND status = $2',
      'select * from orders where id = ? and status = ?',
    ]
    const prints = variants.map((sql) => fingerprint(sql).fingerprint)
    expect(new Set(prints).size).toBe(1)
    expect(prints[0]).toBe('select * from orders where id = ? and status = ?')
  })

  it('collapses IN lists and multi-row VALUES, keeps quoted identifiers', () => {
    expect(fingerprint('select a from t where id in (1, 2, 3)').fingerprint).toBe(
      fingerprint('SELECT a FROM t WHERE id IN (?)').fingerprint,
    )
    expect(fingerprint('insert into t (a, b) values (1, 2), (3, 4), (5, 6)').fingerprint).toBe(
      'insert into t(a, b) values (?, ?)',
    )
    expect(fingerprint('select "Mixed" from "Orders"').fingerprint).toBe('select "Mixed" from "Orders"')
  })

  it('drops literals of every kind', () => {
    const f = fingerprint("select 1.5e3, -2, 0x1f, E'a\\'b', $$dollar$$, 'it''s' from t").fingerprint
    expect(f).not.toMatch(/1\.5|0x1f|dollar|it''s|a\\/)
    expect(f).toBe('select ?, - ?, ?, ?, ?, ? from t')
  })

  it('extracts operation, tables, summary and parameter count', () => {
    const info = fingerprint(
      'select o.id from public.orders o join users u on u.id = o.user_id where o.total > $1 and u.x = $2',
    )
    expect(info).toMatchObject({
      operation: 'SELECT',
      tables: ['orders', 'users'],
      summary: 'SELECT orders',
      paramCount: 2,
      isRead: true,
    })
    expect(fingerprint('UPDATE orders SET total = ? WHERE id = ?')).toMatchObject({
      operation: 'UPDATE',
      tables: ['orders'],
      isRead: false,
      paramCount: 2,
    })
    expect(
      fingerprint(
        'with recent as (select * from orders) delete from items where id in (select id from recent)',
      ),
    ).toMatchObject({
      operation: 'DELETE',
      tables: ['orders', 'items'],
      isRead: false,
    })
    expect(fingerprint('insert into audit select * from log').tables).toEqual(['audit', 'log'])
    expect(fingerprint('select * from t where a = :a').paramCount).toBe(-1)
    expect(fingerprint('select x::int from t').paramCount).toBe(0)
  })
})
