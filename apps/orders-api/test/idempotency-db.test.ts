// The database-backed Idempotency-Key store (no Redis): one claim per key, expiry of in-flight marks and of
// completed records on the injected wall clock, abort that never drops a completed record. Real SQLite and
// PostgreSQL.
import { createDatabase, type Database, postgres, sqlite } from '@hotpath/db'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createDbIdempotencyStore } from '../src/idempotency-db.ts'
import { migrate } from '../src/schema.ts'
import { type FreshDatabase, freshDatabase } from './pg-database.ts'

let db: Database
let now = 1_000_000
const clock = () => now
const response = { status: 201, body: '{"id":1}' }

describe.each(['sqlite', 'postgresql'] as const)('createDbIdempotencyStore (%s)', (system) => {
  let pg: FreshDatabase | undefined
  beforeAll(async () => {
    if (system === 'postgresql') pg = await freshDatabase()
  })
  afterAll(() => pg?.drop())
  beforeEach(async () => {
    db = createDatabase({
      driver: pg ? postgres({ connectionString: pg.url }) : sqlite(),
      queryCache: false,
    })
    await migrate(db)
    await db.execute('DELETE FROM idempotency_keys')
    now = 1_000_000
  })
  afterEach(() => db.close())

  it('one of many concurrent begins starts; the others see it in flight, then the completed response', async () => {
    const store = createDbIdempotencyStore<typeof response>(db, { now: clock })
    const begun = await Promise.all(Array.from({ length: 10 }, () => store.begin('k')))
    expect(begun.filter((b) => b.status === 'started')).toHaveLength(1)
    expect(begun.filter((b) => b.status === 'in-flight')).toHaveLength(9)
    await store.complete('k', response)
    await expect(store.begin('k')).resolves.toEqual({ status: 'completed', response })
  })

  it('an in-flight mark older than inFlightTtl is claimed again; a completed record lasts ttl', async () => {
    const store = createDbIdempotencyStore<typeof response>(db, { now: clock, inFlightTtl: 1000, ttl: 5000 })
    expect((await store.begin('k')).status).toBe('started')
    now += 999
    expect((await store.begin('k')).status).toBe('in-flight')
    now += 1
    expect((await store.begin('k')).status).toBe('started')
    await store.complete('k', response)
    now += 4999
    expect((await store.begin('k')).status).toBe('completed')
    now += 1
    expect((await store.begin('k')).status).toBe('started')
  })

  it('abort frees an in-flight key and never drops a completed record', async () => {
    const store = createDbIdempotencyStore<typeof response>(db, { now: clock })
    await store.begin('a')
    await store.abort('a')
    expect((await store.begin('a')).status).toBe('started')
    await store.complete('a', response)
    await store.abort('a')
    expect((await store.begin('a')).status).toBe('completed')
  })

  it('expired records are swept from the table', async () => {
    const store = createDbIdempotencyStore<typeof response>(db, { now: clock, inFlightTtl: 10 })
    for (const k of ['x', 'y', 'z']) await store.begin(k)
    now += 120_000
    await store.begin('w')
    const rows = await db.query<{ key: string }>('SELECT key FROM idempotency_keys ORDER BY key')
    expect(rows.map((r) => r.key)).toEqual(['w'])
  })
})
