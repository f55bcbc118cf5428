// Scenarios: weighted requests, sequences, templates ({{uuid}}, {{int}}, {{csv}}), checks; files in json/js/ts.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startHttpServer, type TestServer } from '@hotpath/test-helpers'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { LoadInvalidScenarioError } from '../src/errors.ts'
import { runLoad } from '../src/run.ts'
import { parseCsv } from '../src/template.ts'

interface Seen {
  method: string
  url: string
  headers: Record<string, string | string[] | undefined>
  body: string
}

let server: TestServer | undefined
let seen: Seen[] = []
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hotpath-load-scenario-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})
afterEach(async () => {
  await server?.close()
  server = undefined
  seen = []
})

async function echo(): Promise<TestServer> {
  return startHttpServer(async (req, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, body })
    if (req.url === '/login') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"token":"abc"}')
    } else if (req.url?.startsWith('/missing')) {
      res.writeHead(404)
      res.end('not here')
    } else res.end(`hello ${req.url}`)
  })
}

describe('scenarios', () => {
  it('weighted requests: the mix follows the weights', async () => {
    server = await echo()
    const r = await runLoad({
      url: server.origin,
      amount: 2000,
      connections: 4,
      scenario: {
        requests: [
          { path: '/a', weight: 3 },
          { path: '/b', weight: 1 },
        ],
      },
    })
    expect(r.requests.completed).toBe(2000)
    const a = seen.filter((s) => s.url === '/a').length
    expect(a / 2000).toBeGreaterThan(0.7)
    expect(a / 2000).toBeLessThan(0.8)
  })

  it('sequences run in order on one slot (login then fetch), templates render per iteration', async () => {
    server = await echo()
    const r = await runLoad({
      url: server.origin,
      amount: 20,
      connections: 1,
      scenario: {
        requests: [
          {
            sequence: [
              {
                method: 'POST',
                path: '/login',
                body: { user: 'u{{int 1 9}}', id: '{{uuid}}' },
                expect: { status: 200, bodyContains: 'token' },
              },
              {
                path: '/orders/{{int 100 199}}',
                headers: { 'x-trace': '{{uuid}}' },
                expect: { bodyContains: 'hello' },
              },
            ],
          },
        ],
      },
    })
    expect(r.errors).toEqual({})
    expect(r.requests.completed).toBe(40)
    for (let i = 0; i < 40; i += 2) {
      expect(seen[i]!.url).toBe('/login')
      expect(seen[i]!.method).toBe('POST')
      expect(seen[i]!.headers['content-type']).toBe('application/json')
      const body = JSON.parse(seen[i]!.body)
      expect(body.user).toMatch(/^u[1-9]$/)
      expect(body.id).toMatch(/^[0-9a-f-]{36}$/)
      expect(seen[i + 1]!.url).toMatch(/^\/orders\/1\d\d$/)
      expect(seen[i + 1]!.headers['x-trace']).toMatch(/^[0-9a-f-]{36}$/)
    }
    expect(new Set(seen.filter((s) => s.url !== '/login').map((s) => s.headers['x-trace'])).size).toBe(20)
  })

  it('open model: each scheduled iteration runs its whole sequence', async () => {
    server = await echo()
    const r = await runLoad({
      url: server.origin,
      rate: 100,
      duration: 1000,
      connections: 10,
      scenario: { requests: [{ sequence: [{ path: '/login' }, { path: '/orders' }] }] },
    })
    expect(r.errors).toEqual({})
    expect(r.requests.sent).toBe(200)
    expect(seen.filter((s) => s.url === '/login').length).toBe(100)
    expect(seen.filter((s) => s.url === '/orders').length).toBe(100)
  })

  it('checks: a wrong status or a missing body text is an error by check', async () => {
    server = await echo()
    const r = await runLoad({
      url: server.origin,
      amount: 30,
      connections: 1,
      scenario: {
        requests: [
          { path: '/x', expect: { status: 201 } },
          { path: '/y', expect: { bodyContains: 'nope' } },
          { path: '/missing', expect: { status: [404] } },
        ],
      },
    })
    expect(r.requests.completed).toBe(30)
    const x = seen.filter((s) => s.url === '/x').length
    const y = seen.filter((s) => s.url === '/y').length
    expect(r.errors.CHECK_STATUS ?? 0).toBe(x)
    expect(r.errors.CHECK_BODY ?? 0).toBe(y)
    expect(r.requests.ok).toBe(30 - x - y)
  })

  it('a JSON scenario file with a CSV column, rows used in turn', async () => {
    server = await echo()
    await writeFile(join(dir, 'users.csv'), 'name,email\nada,"ada@example.com"\nbob,bob@example.com\n')
    const file = join(dir, 'scenario.json')
    await writeFile(
      file,
      JSON.stringify({
        csv: 'users.csv',
        requests: [{ path: '/u/{{csv name}}', headers: { 'x-email': '{{csv email}}' } }],
      }),
    )
    await runLoad({ url: server.origin, amount: 4, connections: 1, scenario: file })
    expect(seen.map((s) => s.url)).toEqual(['/u/ada', '/u/bob', '/u/ada', '/u/bob'])
    expect(seen[0]!.headers['x-email']).toBe('ada@example.com')
  })

  it('a TypeScript scenario file (default export), also with worker threads', async () => {
    server = await echo()
    const file = join(dir, 'scenario.ts')
    await writeFile(
      file,
      "const scenario: { requests: Array<{ path: string }> } = { requests: [{ path: '/from-ts' }] }\nexport default scenario\n",
    )
    const r = await runLoad({ url: server.origin, amount: 10, connections: 2, workers: 2, scenario: file })
    expect(r.requests.completed).toBe(10)
    expect(seen.every((s) => s.url === '/from-ts')).toBe(true)
  })

  it('invalid scenarios are rejected with the reason', async () => {
    const cases: Array<[unknown, string]> = [
      [{}, '"requests" must be a non-empty array'],
      [{ requests: [{ path: 'nope' }] }, 'requests[0].path must be a string starting with "/"'],
      [{ requests: [{ path: '/', weight: -1 }] }, 'requests[0].weight must be a positive number'],
      [{ requests: [{ sequence: [] }] }, 'requests[0].sequence must be a non-empty array'],
      [{ requests: [{ path: '/{{int 5 1}}' }] }, 'expected {{int <min> <max>}}'],
      [{ requests: [{ path: '/{{csv name}}' }] }, 'the scenario has no "csv" file'],
      [{ requests: [{ path: '/{{random}}' }] }, 'unknown placeholder {{random}}'],
      [{ requests: [{ path: '/', expect: { status: 999 } }] }, 'expect.status must be a status code'],
    ]
    for (const [scenario, message] of cases) {
      const error = await runLoad({
        url: 'http://127.0.0.1:9/',
        amount: 1,
        scenario: scenario as never,
      }).catch((e: unknown) => e)
      expect(error, message).toBeInstanceOf(LoadInvalidScenarioError)
      expect((error as Error).message).toContain(message)
    }
    const missing = await runLoad({
      url: 'http://127.0.0.1:9/',
      amount: 1,
      scenario: join(dir, 'nope.json'),
    }).catch((e: unknown) => e)
    expect((missing as { code?: string }).code).toBe('HOTPATH_LOAD_INVALID_SCENARIO')
    const ext = await runLoad({
      url: 'http://127.0.0.1:9/',
      amount: 1,
      scenario: join(dir, 'users.csv'),
    }).catch((e: unknown) => e)
    expect((ext as Error).message).toContain('unsupported extension ".csv"')
  })

  it('parseCsv handles quotes, escaped quotes and CRLF', () => {
    const { columns, rows } = parseCsv('a,b\r\n"x, y","say ""hi"""\r\n1,2')
    expect(columns).toEqual(['a', 'b'])
    expect(rows).toEqual([
      { a: 'x, y', b: 'say "hi"' },
      { a: '1', b: '2' },
    ])
  })
})
