// Each suggestion is verified: run the suggested DDL as given, analyze again, the finding is gone (both drivers).
import { type FreshSchema, freshSchema, postgresUrl, requirePostgres } from '@hotpath/test-helpers'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createDatabase, type Database, type Finding, postgres } from '../src/index.ts'

const scans = (findings: Finding[]) =>
  findings.filter((f) => f.kind === 'full-scan' || f.kind === 'full-index-scan')

async function applied(db: Database, f: Finding | undefined): Promise<void> {
  expect(f?.suggestions?.length).toBeGreaterThan(0)
  for (const ddl of f!.suggestions!) await db.execute(ddl)
  if (db.system === 'postgresql') await db.execute('analyze items')
}

async function seed(db: Database): Promise<void> {
  const pk = db.system === 'postgresql' ? 'serial primary key' : 'integer primary key'
  await db.execute(`create table items (id ${pk}, name text, email text, status text, owner int)`)
  await db.batch(
    Array.from({ length: 40 }, (_, b) => ({
      sql:
        'insert into items (name, email, status, owner) values ' +
        Array.from({ length: 500 }, (_, k) => {
          const i = b * 500 + k
          return `('item ${i} x${i % 997}', 'U${i}@X.ORG', '${i % 3 === 0 ? 'open' : 'done'}', ${i % 5000})`
        }).join(', '),
    })),
  )
  if (db.system === 'postgresql') await db.execute('analyze items')
}

const suite = (name: string, open: () => Promise<Database>) =>
  describe(`suggestions (${name})`, () => {
    it("LIKE '%x%': no b-tree; pg_trgm GIN (PostgreSQL) / FTS5 trigram (SQLite) removes the scan", async () => {
      const db = await open()
      await seed(db)
      const sql = 'select id from items where name like $1'
      const before = scans((await db.analyze(sql, ['%x77%'])).findings)
      expect(before).toHaveLength(1)
      expect(before[0]!.message).toMatch(/no b-tree index helps/)
      expect(before[0]!.suggestion).not.toMatch(/^CREATE INDEX \w+ ON items \(name\)$/)
      await applied(db, before[0])
      if (db.system === 'postgresql') {
        expect(before[0]!.suggestion).toMatch(/USING gin \(name gin_trgm_ops\)/)
        expect(scans((await db.analyze(sql, ['%x77%'])).findings)).toEqual([])
      } else {
        expect(before[0]!.suggestion).toMatch(/USING fts5\(name, content='items', tokenize='trigram'\)/)
        expect(before[0]!.rewrite).toBe('SELECT rowid FROM items_fts WHERE name LIKE ?')
        expect(scans((await db.analyze(before[0]!.rewrite!, ['%x77%'])).findings)).toEqual([])
      }
    })

    it("prefix LIKE 'x%' keeps a b-tree (text_pattern_ops / COLLATE NOCASE) that removes the scan", async () => {
      const db = await open()
      await seed(db)
      const sql = 'select id from items where name like $1'
      const [f] = scans((await db.analyze(sql, ['item 77%'])).findings)
      expect(f?.suggestion).toBe(
        db.system === 'postgresql'
          ? 'CREATE INDEX idx_items_name_text_pattern_ops ON items (name text_pattern_ops)'
          : 'CREATE INDEX idx_items_name_COLLATE_NOCASE ON items (name COLLATE NOCASE)',
      )
      await applied(db, f)
      expect(scans((await db.analyze(sql, ['item 77%'])).findings)).toEqual([])
    })

    it('OR filter: one index per branch, not the AND composite', async () => {
      const db = await open()
      await seed(db)
      const sql = 'select id from items where email = $1 or owner = $2'
      const [f] = scans((await db.analyze(sql, ['U7@X.ORG', 42])).findings)
      expect(f?.suggestions).toEqual([
        'CREATE INDEX idx_items_email ON items (email)',
        'CREATE INDEX idx_items_owner ON items (owner)',
      ])
      await applied(db, f)
      expect(scans((await db.analyze(sql, ['U7@X.ORG', 42])).findings)).toEqual([])
    })

    it('lower(col) = ?: an expression index', async () => {
      const db = await open()
      await seed(db)
      const sql = 'select id from items where lower(email) = $1'
      const [f] = scans((await db.analyze(sql, ['u7@x.org'])).findings)
      expect(f?.suggestion).toBe('CREATE INDEX idx_items_lower_email ON items (lower(email))')
      await applied(db, f)
      expect(scans((await db.analyze(sql, ['u7@x.org'])).findings)).toEqual([])
    })
  })

suite('sqlite', async () => createDatabase({ name: 'suggest-sqlite' }))

describe('SQLite SCAN ... USING COVERING INDEX', () => {
  it('is a full-index-scan finding; the suggested index turns it into a SEARCH', async () => {
    await using db = createDatabase({ name: 'covering' })
    await seed(db)
    await db.execute('create index items_status_owner on items (status, owner)')
    const sql = 'select status from items where owner = ?'
    const [f] = scans((await db.analyze(sql, [42])).findings)
    expect(f).toMatchObject({ kind: 'full-index-scan', table: 'items' })
    expect(f!.message).toMatch(/items_status_owner/)
    expect(f!.suggestion).toBe('CREATE INDEX idx_items_owner ON items (owner)')
    await applied(db, f)
    expect(scans((await db.analyze(sql, [42])).findings)).toEqual([])
  })
})

let available = false
let schema: FreshSchema | undefined
const opened: Database[] = []
beforeAll(async () => {
  available = await requirePostgres()
  if (!available) return
  const admin = new pg.Client({ connectionString: postgresUrl() })
  await admin.connect()
  await admin.query('CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public')
  await admin.end()
})
afterEach(async () => {
  await Promise.all(opened.splice(0).map((db) => db.close()))
  await schema?.drop()
  schema = undefined
})
afterAll(() => undefined)

suite('postgresql', async () => {
  if (!available) throw new Error('PostgreSQL at 127.0.0.1:5432 is required')
  schema = await freshSchema()
  // pg_trgm's operator classes live in public: keep it on the search path after the fresh schema.
  const url = new URL(schema.url)
  url.searchParams.set('options', `-c search_path=${schema.name},public`)
  const db = createDatabase({ name: 'suggest-pg', driver: postgres({ connectionString: url.toString() }) })
  opened.push(db)
  return db
})
