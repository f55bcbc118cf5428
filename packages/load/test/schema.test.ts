// The shipped JSON Schema (result.schema.json) describes real results: a scenario run with names and thresholds,
// an open-model run, a merge; and its required fields are exactly the LoadResult keys a run produces.
import { readFileSync } from 'node:fs'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mergeResults } from '../src/merge.ts'
import type { LoadResult } from '../src/result.ts'
import { runLoad } from '../src/run.ts'
import { type OrdersServer, startOrdersServer } from './orders-server.ts'

const schema = JSON.parse(readFileSync(new URL('../result.schema.json', import.meta.url), 'utf8'))
const ajv = new Ajv({ strict: true, allErrors: true })
addFormats.default(ajv)
const validate = ajv.compile(schema)

let server: OrdersServer
beforeAll(async () => {
  server = await startOrdersServer()
})
afterAll(async () => {
  await server?.close()
})

function valid(r: LoadResult): void {
  // Through JSON, as the file is written.
  const ok = validate(JSON.parse(JSON.stringify(r)))
  expect(validate.errors ?? []).toEqual([])
  expect(ok).toBe(true)
}

describe('result.schema.json', () => {
  it('validates a scenario run (names, per-name thresholds) and an open-model segment, and their merge', async () => {
    const scenario = await runLoad({
      url: server.origin,
      amount: 10,
      connections: 2,
      scenario: {
        requests: [
          {
            sequence: [
              { name: 'login', method: 'POST', path: '/login', capture: { token: { json: 'token' } } },
              {
                name: 'create',
                method: 'POST',
                path: '/orders',
                headers: { authorization: 'Bearer {{token}}' },
              },
            ],
          },
        ],
      },
      thresholds: ['p99{name:login}<10s', 'rps>0'],
    })
    valid(scenario)
    expect(Object.keys(scenario.names)).toEqual(['login', 'create'])
    const a = await runLoad({
      url: server.origin,
      rate: 40,
      duration: 500,
      connections: 2,
      segment: '1/2',
      startAt: Date.now() + 200,
    })
    const b = await runLoad({ url: server.origin, rate: 40, duration: 500, connections: 2, segment: '2/2' })
    valid(a)
    valid(mergeResults([a, b]))
  })

  it('requires exactly the keys a result has, and rejects another schema version', async () => {
    const r = await runLoad({ url: server.origin, amount: 3, connections: 1 })
    expect([...schema.required].sort()).toEqual(Object.keys(r).sort())
    expect([...schema.properties.options.required].sort()).toEqual(Object.keys(r.options).sort())
    expect(validate({ ...JSON.parse(JSON.stringify(r)), schemaVersion: 2 })).toBe(false)
  })
})
