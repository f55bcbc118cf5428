// Captures between steps (JSON path, header, regex), per-name statistics and per-name thresholds, think time,
// against a real orders API on 127.0.0.1, through the library and the CLI, on both transports.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../src/cli.ts'
import { LoadInvalidThresholdError } from '../src/errors.ts'
import { decodeHistogram } from '../src/histogram.ts'
import { runLoad } from '../src/run.ts'
import type { ScenarioObject } from '../src/scenario.ts'
import { type OrdersServer, startOrdersServer } from './orders-server.ts'

let server: OrdersServer | undefined
let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hotpath-load-captures-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})
afterEach(async () => {
  await server?.close()
  server = undefined
})

/** Log in, create an order with the token, read it back by its captured id. */
const ordersScenario: ScenarioObject = {
  requests: [
    {
      sequence: [
        {
          name: 'login',
          method: 'POST',
          path: '/login',
          body: { user: 'ada' },
          capture: { token: { json: 'token' } },
        },
        {
          name: 'create',
          method: 'POST',
          path: '/orders',
          headers: { authorization: 'Bearer {{token}}' },
          body: { items: [1, 2] },
          capture: { id: { json: 'order.id' }, location: { header: 'location' } },
          expect: { status: 201 },
        },
        {
          name: 'read',
          path: '/orders/{{id}}',
          headers: { authorization: 'Bearer {{token}}', 'x-location': '{{location}}' },
          expect: { status: 200, bodyContains: '"id"' },
        },
      ],
    },
  ],
}

describe('captures', () => {
  for (const transport of ['raw', 'undici'] as const) {
    it(`${transport}: login token and created id flow into later steps; per-name stats`, async () => {
      server = await startOrdersServer()
      const r = await runLoad({
        url: server.origin,
        transport,
        amount: 60,
        connections: 3,
        scenario: ordersScenario,
        thresholds: [
          'p99{name:login}<10s',
          'errors{name:read}<1%',
          'requests{name:create}>=60',
          'max{name:read}<1us',
        ],
      })
      expect(r.errors).toEqual({})
      expect(r.requests.completed).toBe(180)
      // Every read asked for an id the server created, with a valid token.
      expect(server.reads.length).toBe(60)
      expect(new Set(server.reads).size).toBe(60)
      for (const id of server.reads) expect(server.created.has(id)).toBe(true)
      expect(Object.keys(r.names)).toEqual(['login', 'create', 'read'])
      for (const name of ['login', 'create', 'read']) {
        const n = r.names[name]!
        expect(n.requests).toEqual({ completed: 60, responses: 60, ok: 60, errors: 0 })
        expect(n.latency.p50).toBeGreaterThan(0)
        expect(decodeHistogram(n.histogram).totalCount).toBe(60)
      }
      expect(r.names.create!.statusCodes).toEqual({ '201': 60 })
      expect(r.names.read!.statusCodes).toEqual({ '200': 60 })
      // The per-name histograms add up to the run's.
      expect(decodeHistogram(r.histogram).totalCount).toBe(180)
      expect(r.thresholds.map((t) => [t.expression, t.pass])).toEqual([
        ['p99{name:login}<10s', true],
        ['errors{name:read}<1%', true],
        ['requests{name:create}>=60', true],
        ['max{name:read}<1us', false],
      ])
      expect(r.thresholds[0]!.name).toBe('login')
    })
  }

  it('a value that is not there fails the step (CAPTURE) and ends the iteration', async () => {
    server = await startOrdersServer()
    const r = await runLoad({
      url: server.origin,
      amount: 10,
      connections: 1,
      scenario: {
        requests: [
          {
            sequence: [
              {
                name: 'login',
                method: 'POST',
                path: '/login',
                capture: { token: { json: 'session.token' } },
              },
              { name: 'read', path: '/orders/x', headers: { authorization: 'Bearer {{token}}' } },
            ],
          },
        ],
      },
    })
    expect(r.errors).toEqual({ CAPTURE: 10 })
    expect(r.requests.completed).toBe(10)
    expect(server.seen.every((s) => s.url === '/login')).toBe(true)
    expect(r.names.login!.requests).toEqual({ completed: 10, responses: 10, ok: 0, errors: 10 })
    expect(r.names.login!.errors).toEqual({ CAPTURE: 10 })
    // The step after the failed capture never ran: no row for it.
    expect(r.names.read).toBeUndefined()
  })

  it('regex captures, default names (method and path, placeholders as :name), open model', async () => {
    server = await startOrdersServer()
    const r = await runLoad({
      url: server.origin,
      rate: 50,
      duration: 1000,
      connections: 4,
      scenario: {
        requests: [
          {
            sequence: [
              { method: 'POST', path: '/login', capture: { token: { regex: '"token":"([^"]+)"' } } },
              {
                method: 'POST',
                path: '/orders',
                headers: { authorization: 'Bearer {{token}}' },
                capture: { id: { regex: '[0-9a-f-]{36}' } },
              },
              { path: '/orders/{{id}}', headers: { authorization: 'Bearer {{token}}' } },
            ],
          },
        ],
      },
    })
    expect(r.errors).toEqual({})
    expect(Object.keys(r.names)).toEqual(['POST /login', 'POST /orders', 'GET /orders/:id'])
    expect(r.names['GET /orders/:id']!.requests.ok).toBe(50)
    expect(server.reads.length).toBe(50)
  })

  it('think time waits between steps (the next step arrives no earlier)', async () => {
    server = await startOrdersServer()
    const r = await runLoad({
      url: server.origin,
      amount: 3,
      connections: 1,
      scenario: {
        requests: [
          {
            sequence: [
              {
                name: 'login',
                method: 'POST',
                path: '/login',
                think: 80,
                capture: { token: { json: 'token' } },
              },
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
    })
    expect(r.errors).toEqual({})
    const s = server.seen
    expect(s.map((x) => x.url)).toEqual(['/login', '/orders', '/login', '/orders', '/login', '/orders'])
    for (let i = 0; i < s.length; i += 2) expect(s[i + 1]!.at - s[i]!.at).toBeGreaterThanOrEqual(79)
    // The think time is not part of the next step's latency.
    expect(r.names.create!.latency.max).toBeLessThan(80)
  })

  it('scenario mistakes in captures are rejected before the run', async () => {
    const cases: Array<[unknown, string]> = [
      [
        { requests: [{ path: '/', capture: { 'a-b': { json: 'x' } } }] },
        '"a-b" is not a valid variable name',
      ],
      [
        { requests: [{ path: '/', capture: { uuid: { json: 'x' } } }] },
        '"uuid" is not a valid variable name',
      ],
      [{ requests: [{ path: '/', capture: { t: { xpath: 'x' } } }] }, 'capture.t must be one of'],
      [{ requests: [{ path: '/', capture: { t: { json: 'a..b' } } }] }, 'invalid JSON path'],
      [{ requests: [{ path: '/', capture: { t: { regex: '(' } } }] }, 'invalid regex'],
      // A variable is known only to the steps after the one that captures it.
      [
        { requests: [{ sequence: [{ path: '/{{t}}' }, { path: '/', capture: { t: { json: 'x' } } }] }] },
        'unknown placeholder {{t}}',
      ],
      [{ requests: [{ path: '/', think: -1 }] }, 'think must be a number of ms >= 0'],
      [{ requests: [{ path: '/', name: 'a{b}' }] }, 'name must be a non-empty string without { or }'],
    ]
    for (const [scenario, message] of cases) {
      const error = await runLoad({
        url: 'http://127.0.0.1:9/',
        amount: 1,
        scenario: scenario as never,
      }).catch((e: unknown) => e)
      expect((error as { code?: string }).code, message).toBe('HOTPATH_LOAD_INVALID_SCENARIO')
      expect((error as Error).message).toContain(message)
    }
  })

  it('per-name thresholds: a misspelt name or a metric without a per-name figure is a usage error', async () => {
    const run = (thresholds: string[]) =>
      runLoad({ url: 'http://127.0.0.1:9/', amount: 1, scenario: ordersScenario, thresholds }).catch(
        (e: unknown) => e,
      )
    const misspelt = await run(['p99{name:logon}<50ms'])
    expect(misspelt).toBeInstanceOf(LoadInvalidThresholdError)
    expect((misspelt as Error).message).toContain('no request named "logon" (names: login, create, read)')
    const metric = await run(['late{name:login}<1'])
    expect((metric as Error).message).toContain('late has no per-name figure')
    const tag = await run(['p99{user:login}<1'])
    expect((tag as Error).message).toContain('expected {name:<request name>}')
    const plain = await runLoad({
      url: 'http://127.0.0.1:9/',
      amount: 1,
      thresholds: ['p99{name:x}<1'],
    }).catch((e: unknown) => e)
    expect((plain as Error).message).toContain('needs a scenario')
  })

  it('CLI: a scenario file with captures, per-name table and a per-name threshold (exit 1 when it fails)', async () => {
    server = await startOrdersServer()
    const file = join(dir, 'orders.json')
    await writeFile(file, JSON.stringify(ordersScenario))
    const out: string[] = []
    const io = {
      stdout: { write: (t: string | Uint8Array) => out.push(String(t)) > 0 },
      stderr: { write: (t: string | Uint8Array) => out.push(String(t)) > 0 },
      env: { CI: 'true' },
    }
    const pass = await main(
      ['-n', '20', '-c', '2', '--scenario', file, '--threshold', 'p99{name:read}<10s', server.origin],
      io,
    )
    const text = out.join('')
    expect(pass).toBe(0)
    expect(text).toMatch(/^Name +requests +ok +errors +req\/s +p50 +p90 +p99 +max$/m)
    expect(text).toMatch(/^login +20 +20 +0 /m)
    expect(text).toMatch(/^read +20 +20 +0 /m)
    expect(text).toContain('PASS  p99{name:read}<10s')
    out.length = 0
    const fail = await main(
      ['-n', '5', '-c', '1', '--scenario', file, '--threshold', 'max{name:create}<1us', server.origin],
      io,
    )
    expect(fail).toBe(1)
    expect(out.join('')).toContain('FAIL  max{name:create}<1us')
  })
})
