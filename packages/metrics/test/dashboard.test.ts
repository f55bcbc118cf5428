// The Grafana dashboard: valid JSON for import, every PromQL expression parses (promtool check rules), and
// every metric it queries is one this package exposes.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isCI } from '@hotpath/test-helpers'
import { describe, expect, it } from 'vitest'
import { createMetrics } from '../src/index.ts'
import { cacheGet, ch, dbQuery, httpRequest, samples } from './helpers.ts'

interface Panel {
  type: string
  title: string
  targets?: Array<{ expr: string }>
}

async function dashboard(): Promise<{ panels: Panel[]; __inputs: unknown[]; uid: string }> {
  return JSON.parse(await readFile(new URL('../dashboards/orders-api.json', import.meta.url), 'utf8'))
}

function expressions(panels: Panel[]): string[] {
  return panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr))
}

describe('dashboards/orders-api.json', () => {
  it('is an importable Grafana dashboard with a Prometheus data source input', async () => {
    const d = await dashboard()
    expect(d.uid).toBe('hotpath-orders-api')
    expect(d.__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', pluginId: 'prometheus' })])
    expect(d.panels.filter((p) => p.type === 'timeseries').length).toBeGreaterThanOrEqual(15)
  })

  it('queries only metrics this package exposes', async () => {
    await using m = createMetrics({ runtime: { sampleInterval: 50 } })
    m.instrument()
    cacheGet('users', 'hit', 'l1')
    ch.cacheEvict.publish({ cache: 'users', key: 'k', reason: 'evict' })
    httpRequest(5)
    dbQuery(5)
    ch.poolAcquire.publish({ pool: 'main', waitMs: 1 })
    ch.poolRelease.publish({ pool: 'main', useMs: 1 })
    ch.poolTimeout.publish({ pool: 'main', waitMs: 1, pending: 1 })
    m.recordServerRequest({ method: 'GET', route: '/', statusCode: 200, durationMs: 1 })
    m.observe({ stats: () => ({ kind: 'cache', name: 'users', entries: 1 }) })
    m.observe({
      stats: () => ({ kind: 'pool', name: 'main', size: 1, idle: 1, used: 0, pending: 0, min: 0, max: 2 }),
    })
    ;(globalThis as { gc?: () => void }).gc?.()
    const exposed = new Set(samples(await m.text()).map((s) => s.name))
    exposed.add('v8js_gc_duration_seconds_sum') // GC may not have run yet in this process
    exposed.add('v8js_gc_duration_seconds_count')
    const used = new Set(
      expressions((await dashboard()).panels).flatMap((e) =>
        [...e.matchAll(/\b([a-z][a-z0-9_]+)(?=\{)/g)].map((x) => x[1] as string),
      ),
    )
    used.delete('target_info')
    expect(used.size).toBeGreaterThan(10)
    for (const name of used) expect(exposed, name).toContain(name)
  })

  it('every expression parses (promtool check rules)', async (ctx) => {
    const exprs = expressions((await dashboard()).panels).map((e) =>
      e.replaceAll('$__rate_interval', '5m').replaceAll('$job', '.*').replaceAll('$instance', '.*'),
    )
    const dir = await mkdtemp(join(tmpdir(), 'hp-dash-'))
    try {
      const file = join(dir, 'rules.yml')
      const rules = exprs
        .map((e, i) => `      - record: dashboard:expr${i}\n        expr: ${JSON.stringify(e)}`)
        .join('\n')
      await writeFile(file, `groups:\n  - name: dashboard\n    rules:\n${rules}\n`)
      const result = await new Promise<{ code: number; output: string } | undefined>((resolve) => {
        execFile('promtool', ['check', 'rules', file], { timeout: 20_000 }, (error, stdout, stderr) => {
          if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') return resolve(undefined)
          resolve({ code: error ? 1 : 0, output: `${stdout}${stderr}` })
        })
      })
      if (result === undefined) {
        if (isCI()) throw new Error('promtool is required under CI (Debian package `prometheus`)')
        console.warn('skipped: promtool not installed')
        return ctx.skip()
      }
      expect(result.code, result.output).toBe(0)
      expect(result.output).toContain(`${exprs.length} rules found`)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
