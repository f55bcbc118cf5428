import pg from 'pg'
import { postgresUrl } from './env.ts'
import { uniqueId } from './ids.ts'

export interface FreshSchema {
  readonly name: string
  /** Connection string whose sessions use the schema (`options=-c search_path=<schema>`). */
  readonly url: string
  drop(): Promise<void>
}

/** Creates an empty PostgreSQL schema for one test; `drop()` removes it with everything in it. */
export async function freshSchema(url: string = postgresUrl()): Promise<FreshSchema> {
  const name = uniqueId('hp_test')
  const admin = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 })
  await admin.connect()
  try {
    await admin.query(`CREATE SCHEMA "${name}"`)
  } finally {
    await admin.end()
  }
  const scoped = new URL(url)
  scoped.searchParams.set('options', `-c search_path=${name}`)
  return {
    name,
    url: scoped.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 })
      await client.connect()
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`)
      } finally {
        await client.end()
      }
    },
  }
}
