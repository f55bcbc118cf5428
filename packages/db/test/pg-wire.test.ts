// The pipeline encoder writes exactly the bytes pg-protocol's serializer (pg's own) writes.
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { encodePipeline, type WireStatement } from '../src/drivers/pg-wire.ts'

type Serialize = {
  parse(q: { text: string; name: string; types: number[] }): Buffer
  bind(q: { portal: string; statement: string; values: unknown[] }): Buffer
  describe(q: { type: string; name: string }): Buffer
  execute(q: { portal: string; rows: number }): Buffer
  sync(): Buffer
}
// pg-protocol is pg's dependency (not ours): resolved from where pg lives.
const { serialize } = createRequire(createRequire(import.meta.url).resolve('pg'))('pg-protocol') as {
  serialize: Serialize
}

function reference(statements: WireStatement[], syncEach: boolean): Buffer {
  const parts: Buffer[] = []
  for (const s of statements) {
    if (s.parse) parts.push(serialize.parse({ text: s.sql, name: s.name, types: [] }))
    parts.push(Buffer.from(serialize.bind({ portal: '', statement: s.name, values: [...s.values] })))
    if (s.describe) parts.push(serialize.describe({ type: 'P', name: '' }))
    parts.push(serialize.execute({ portal: '', rows: 0 }))
    if (syncEach) parts.push(serialize.sync())
  }
  if (!syncEach) parts.push(serialize.sync())
  return Buffer.concat(parts)
}

describe('encodePipeline', () => {
  const statements: WireStatement[] = [
    { sql: 'SELECT 1 AS n', name: 'hp_0', values: [], parse: true, describe: true },
    {
      sql: 'SELECT $1::int, $2::text, $3',
      name: 'hp_1',
      values: ['42', 'héllo ✓', null],
      parse: true,
      describe: true,
    },
    {
      sql: 'SELECT $1::bytea, $2',
      name: '',
      values: [Buffer.from([0, 1, 2, 255]), ''],
      parse: true,
      describe: true,
    },
    { sql: 'SELECT $1::int', name: 'hp_1', values: ['7'], parse: false, describe: false },
    { sql: 'SELECT 1 AS n', name: 'hp_0', values: [], parse: false, describe: true },
  ]

  it('matches pg-protocol with a Sync after each statement', () => {
    expect(encodePipeline(statements, true).equals(reference(statements, true))).toBe(true)
  })

  it('matches pg-protocol with one Sync at the end', () => {
    expect(encodePipeline(statements, false).equals(reference(statements, false))).toBe(true)
  })
})
