// A fresh PostgreSQL database per test file on the machine's server: CREATE DATABASE with a unique name, DROP it
// (WITH FORCE: closes what a test left connected) afterwards.
import { createDatabase, postgres } from '@hotpath/db'
import { postgresUrl, uniqueId } from '@hotpath/test-helpers'

export interface FreshDatabase {
  readonly name: string
  readonly url: string
  drop(): Promise<void>
}

async function admin<T>(work: (db: ReturnType<typeof createDatabase>) => Promise<T>): Promise<T> {
  const db = createDatabase({
    driver: postgres({ connectionString: postgresUrl() }),
    queryCache: false,
    pool: { max: 1 },
  })
  try {
    return await work(db)
  } finally {
    await db.close()
  }
}

export async function freshDatabase(): Promise<FreshDatabase> {
  const name = uniqueId('orders_api')
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
  await admin((db) => db.execute(`CREATE DATABASE "${name}"`))
  const url = new URL(postgresUrl())
  url.pathname = `/${name}`
  return {
    name,
    url: url.toString(),
    drop: () => admin((db) => db.execute(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => {}),
  }
}
