// statementCacheSize applies to reader worker threads too (the worker used to hard-code 500).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ReaderWorker } from '../src/drivers/sqlite-worker.ts'
import { createDatabase, sqlite } from '../src/index.ts'

describe('reader worker statement cache', () => {
  it('holds at most statementCacheSize prepared statements', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hp-db-wcache-'))
    try {
      const file = join(dir, 'w.db')
      const db = createDatabase({
        driver: sqlite({ filename: file, statementCacheSize: 2, readers: { threads: 1 } }),
      })
      await db.execute('CREATE TABLE t (v INTEGER)')
      for (let i = 0; i < 5; i++) await db.query(`SELECT ${i} AS v FROM t`)
      await db.close()
      const worker = await ReaderWorker.open(file, [], () => {}, 2)
      for (let i = 0; i < 5; i++) await worker.run(`SELECT ${i} AS v`, [])
      expect(await worker.cachedStatements()).toBe(2)
      await worker.close()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
