// compare as a regression gate, the rest of issue 15: rows for late, dropped and the generator figure, per-name rows
// and gates, and a warning (a failed gate unless --allow-mismatch) when the runs were asked to do different things.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../src/cli.ts'
import { compareMismatches, compareResults } from '../src/compare.ts'
import type { LoadResult } from '../src/result.ts'
import { runLoad } from '../src/run.ts'
import { type OrdersServer, startOrdersServer } from './orders-server.ts'

let server: OrdersServer
let dir: string
let base: LoadResult
let same: LoadResult
let other: LoadResult
const scenario = {
  requests: [
    {
      sequence: [
        { name: 'login', method: 'POST', path: '/login', capture: { token: { json: 'token' } } },
        { name: 'create', method: 'POST', path: '/orders', headers: { authorization: 'Bearer {{token}}' } },
      ],
    },
  ],
}
beforeAll(async () => {
  server = await startOrdersServer()
  dir = await mkdtemp(join(tmpdir(), 'hotpath-load-compare-'))
  base = await runLoad({ url: server.origin, amount: 20, connections: 2, scenario })
  same = await runLoad({ url: server.origin, amount: 20, connections: 2, scenario })
  other = await runLoad({ url: server.origin, amount: 20, connections: 4, scenario })
  for (const [name, r] of Object.entries({ base, same, other }))
    await writeFile(join(dir, `${name}.json`), JSON.stringify(r))
})
afterAll(async () => {
  await server?.close()
  await rm(dir, { recursive: true, force: true })
})

function sink() {
  const out: string[] = []
  const stream = { write: (t: string | Uint8Array) => out.push(String(t)) > 0 }
  return { text: () => out.join(''), io: { stdout: stream, stderr: stream, env: { CI: 'true' } } }
}

describe('compare: rows, per-name gates, mismatched runs', () => {
  it('rows for late, dropped, the generator delay and each name both runs have', () => {
    const metrics = compareResults(base, same).map((r) => r.metric)
    for (const m of [
      'late',
      'dropped',
      'generator p99',
      'p99{name:login}',
      'rps{name:create}',
      'errors{name:create}',
    ]) {
      expect(metrics).toContain(m)
    }
    expect(compareMismatches(base, same)).toEqual([])
    expect(compareMismatches(base, other)).toEqual(['connections: 2 -> 4'])
  })

  it('a per-name gate; a row that does not exist is a usage error (exit 2)', async () => {
    const ok = sink()
    const code = await main(
      [
        'compare',
        join(dir, 'base.json'),
        join(dir, 'same.json'),
        '--fail-if',
        'errors{name:create}>+0%',
        '--fail-if',
        'p99{name:login}>+100000%',
      ],
      ok.io,
    )
    expect(ok.text()).toContain('PASS  errors{name:create}>+0%  (change +0.0%)')
    expect(code).toBe(0)
    const bad = sink()
    expect(
      await main(
        ['compare', join(dir, 'base.json'), join(dir, 'same.json'), '--fail-if', 'p99{name:logon}>+10%'],
        bad.io,
      ),
    ).toBe(2)
    expect(bad.text()).toContain('no row "p99{name:logon}"')
  })

  it('runs asked to do different things: a warning, and a gate fails unless --allow-mismatch', async () => {
    const warned = sink()
    expect(await main(['compare', join(dir, 'base.json'), join(dir, 'other.json')], warned.io)).toBe(0)
    expect(warned.text()).toMatch(
      /^Warning: the runs were asked to do different things \(connections: 2 -> 4\)/m,
    )
    const gated = sink()
    const args = ['compare', join(dir, 'base.json'), join(dir, 'other.json'), '--fail-if', 'p99>+100000%']
    expect(await main(args, gated.io)).toBe(1)
    expect(gated.text()).toContain('FAIL  the runs are not comparable (connections: 2 -> 4)')
    const allowed = sink()
    expect(await main([...args, '--allow-mismatch'], allowed.io)).toBe(0)
    const md = sink()
    await main(['compare', '--markdown', join(dir, 'base.json'), join(dir, 'other.json')], md.io)
    expect(md.text()).toMatch(/^> \*\*Warning\*\*: the runs were asked/m)
  })
})
