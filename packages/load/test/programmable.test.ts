// Programmable scenarios: a function called per iteration (iteration index, captured values), through the library,
// a module file with worker threads, and the CLI's `run` command with the shipped example.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../src/cli.ts'
import { runLoad } from '../src/run.ts'
import type { ScenarioFunction } from '../src/scenario.ts'
import { type OrdersServer, startOrdersServer } from './orders-server.ts'

let server: OrdersServer | undefined
let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hotpath-load-programmable-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})
afterEach(async () => {
  await server?.close()
  server = undefined
})

const example = new URL('../examples/orders.mjs', import.meta.url).pathname

function sink() {
  const out: string[] = []
  const stream = { write: (t: string | Uint8Array) => out.push(String(t)) > 0 }
  return { out, io: { stdout: stream, stderr: stream, env: { CI: 'true' } } }
}

describe('programmable scenarios', () => {
  it('a function per iteration: iteration index, steps built from the values captured so far', async () => {
    server = await startOrdersServer()
    const seenIterations: number[] = []
    const scenario: ScenarioFunction = ({ iteration, worker }) => {
      seenIterations.push(iteration)
      expect(worker).toBe(0)
      return [
        { name: 'login', method: 'POST', path: '/login', capture: { token: { json: 'token' } } },
        (vars) => ({
          name: 'create',
          method: 'POST',
          path: '/orders',
          headers: { authorization: `Bearer ${vars.token}` },
          body: { items: [iteration] },
          capture: { id: { json: 'order.id' } },
        }),
        (vars) => ({
          name: 'read',
          path: `/orders/${vars.id}?i=${iteration}`,
          headers: { authorization: `Bearer ${vars.token}` },
        }),
      ]
    }
    const r = await runLoad({ url: server.origin, amount: 25, connections: 2, scenario })
    expect(r.errors).toEqual({})
    expect(seenIterations.sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i))
    // The reads carried the iteration index and a created id (404 otherwise: counted as HTTP_404).
    expect(server.reads.length).toBe(25)
    const readUrls = server.seen
      .filter((s) => s.method === 'GET')
      .map((s) => Number(/i=(\d+)/.exec(s.url)![1]))
    expect(readUrls.sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i))
    expect(Object.keys(r.names)).toEqual(['login', 'create', 'read'])
    expect(r.target.scenario).toBe('<object>')
  })

  it('a throw or a bad request fails that step as SCENARIO (the run goes on); unnamed steps are named by position', async () => {
    server = await startOrdersServer()
    const r = await runLoad({
      url: server.origin,
      amount: 12,
      connections: 1,
      scenario: ({ iteration }) => {
        if (iteration % 3 === 0) throw new Error('boom')
        if (iteration % 3 === 1) return [{ path: 'no-slash' }]
        return [{ method: 'POST', path: '/login' }]
      },
    })
    expect(r.errors).toEqual({ SCENARIO: 8 })
    expect(r.requests.completed).toBe(12)
    expect(r.names['POST #1']!.requests.ok).toBe(4)
    expect(server.seen.length).toBe(4)
  })

  it('a module file exporting the function, with worker threads (each worker loads it)', async () => {
    server = await startOrdersServer()
    const file = join(dir, 'scenario.ts')
    await writeFile(
      file,
      [
        "import type { ScenarioFunction } from '" +
          new URL('../src/index.ts', import.meta.url).pathname +
          "'",
        'const scenario: ScenarioFunction = ({ iteration, worker }) => [',
        "  { name: 'login', method: 'POST', path: '/login', body: { worker, iteration } },",
        ']',
        'export default scenario',
        '',
      ].join('\n'),
    )
    const r = await runLoad({ url: server.origin, amount: 20, connections: 2, workers: 2, scenario: file })
    expect(r.errors).toEqual({})
    expect(r.names.login!.requests.completed).toBe(20)
    expect(r.requests.completed).toBe(20)
  })

  it('CLI: hotpath-load run examples/orders.mjs (the README example), per-name rows and thresholds', async () => {
    server = await startOrdersServer()
    const { out, io } = sink()
    const code = await main(
      [
        'run',
        example,
        '-R',
        '30',
        '-d',
        '1s',
        '-c',
        '4',
        '--threshold',
        'errors{name:read}<1%',
        '--threshold',
        'p99{name:create}<5s',
        server.origin,
      ],
      io,
    )
    const text = out.join('')
    expect(text).toContain('PASS  errors{name:read}<1%')
    expect(code).toBe(0)
    expect(text).toMatch(/^create +30 +30 +0 /m)
    expect(server.reads.length).toBe(30)
    const bad = sink()
    expect(await main(['run'], bad.io)).toBe(2)
    expect(bad.out.join('')).toContain('run needs a scenario file')
  })
})
