// standardInstruments: which semantic-convention names are exported next to an OTel instrumentation.
// instrumentation-http and -pg wrap functions with shimmer, which marks the wrapper `__wrapped: true`; here
// the same marking is put on the real `http.Server.prototype.emit` and the real `pg` Client (loaded the way
// @hotpath/db loads it), and taken off again.
import { tracingChannel } from 'node:diagnostics_channel'
import { Server } from 'node:http'
import { createRequire } from 'node:module'
import { createDatabase, postgres } from '@hotpath/db'
import { freshSchema, requirePostgres } from '@hotpath/test-helpers'
import { afterEach, describe, expect, it } from 'vitest'
import { createMetrics } from '../src/index.ts'
import { dbQuery, samples } from './helpers.ts'

const restore: Array<() => void> = []
afterEach(() => {
  for (const r of restore.splice(0)) r()
})

function shimmerWrap(target: Record<string, unknown>, name: string): void {
  const original = target[name] as (...args: unknown[]) => unknown
  const wrapper = function (this: unknown, ...args: unknown[]) {
    return original.apply(this, args)
  }
  Object.defineProperty(wrapper, '__wrapped', { value: true, configurable: true })
  target[name] = wrapper
  restore.push(() => {
    target[name] = original
  })
}

const dbRequire = createRequire(createRequire(import.meta.url).resolve('@hotpath/db'))

async function names(standardInstruments?: Record<string, boolean | 'auto'>): Promise<Set<string>> {
  await using m = createMetrics({ runtime: false, ...(standardInstruments ? { standardInstruments } : {}) })
  m.instrument()
  m.recordServerRequest({ method: 'GET', route: '/a', statusCode: 200, durationMs: 2 })
  dbQuery(3)
  return new Set(samples(await m.text()).map((s) => s.name))
}

describe('standardInstruments', () => {
  it('exports every standard name when no instrumentation is active (auto)', async () => {
    const n = await names()
    expect(n.has('http_server_request_duration_seconds_count')).toBe(true)
    expect(n.has('db_client_operation_duration_seconds_count')).toBe(true)
  })

  it('auto: leaves http.server.request.duration to instrumentation-http while http.Server is wrapped', async () => {
    shimmerWrap(Server.prototype as unknown as Record<string, unknown>, 'emit')
    const n = await names()
    expect(n.has('http_server_request_duration_seconds_count')).toBe(false)
    expect(n.has('db_client_operation_duration_seconds_count')).toBe(true)
    expect((await names({ httpServer: true })).has('http_server_request_duration_seconds_count')).toBe(true)
  })

  it("auto: leaves db.client.operation.duration to instrumentation-pg while the loaded pg's Client.query is wrapped", async () => {
    const pg = dbRequire('pg') as { Client: { prototype: Record<string, unknown> } }
    expect((await names()).has('db_client_operation_duration_seconds_count')).toBe(true)
    shimmerWrap(pg.Client.prototype, 'query')
    const n = await names()
    expect(n.has('db_client_operation_duration_seconds_count')).toBe(false)
    // pool waits, query fingerprints and cache series are ours alone: they stay
    expect(n.has('http_server_request_duration_seconds_count')).toBe(true)
  })

  it('false leaves a name out whatever runs; the report still has the figures', async () => {
    await using m = createMetrics({ runtime: false, standardInstruments: { httpServer: false, db: false } })
    m.instrument()
    m.recordServerRequest({ method: 'GET', route: '/a', statusCode: 200, durationMs: 2 })
    dbQuery(3)
    const n = new Set(samples(await m.text()).map((s) => s.name))
    expect(n.has('http_server_request_duration_seconds_count')).toBe(false)
    expect(n.has('db_client_operation_duration_seconds_count')).toBe(false)
    const report = await m.report()
    expect(report.routes.map((r) => [r.route, r.count])).toEqual([['/a', 1]])
    expect(report.queries.top.map((q) => q.count)).toEqual([1])
  })

  it('auto: telling pipelined reads apart traces nothing, even while the loaded pg is patched', async (ctx) => {
    if (!(await requirePostgres())) return ctx.skip()
    // a subscriber or a bound store here would put every statement of @hotpath/db on its traced path (CPU)
    const traced = () => tracingChannel('hotpath:db:query').hasSubscribers
    const schema = await freshSchema()
    try {
      const pg = dbRequire('pg') as { Client: { prototype: Record<string, unknown> } }
      shimmerWrap(pg.Client.prototype, 'query')
      await using m = createMetrics({ runtime: false })
      m.instrument()
      await using db = createDatabase({ name: 'orders', driver: postgres({ connectionString: schema.url }) })
      await db.query('SELECT $1::int AS n', [1])
      await db.execute('SELECT $1::int AS n', [2])
      expect(traced()).toBe(false)
      // the pipelined read stays hotpath's (the event says how it was sent); the other is pg's
      const lines = (await m.text())
        .split('\n')
        .filter((l) => l.startsWith('db_client_operation_duration_seconds_count'))
      expect(lines.map((l) => l.split(' ').at(-1))).toEqual(['1'])
    } finally {
      await schema.drop()
    }
  })
})
