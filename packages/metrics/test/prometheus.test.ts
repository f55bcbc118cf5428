// Issue 14 defect 5: a real Prometheus (Debian `prometheus`) scrapes a small real service built on the
// packages; every expression of dashboards/orders-api.json returns data while the service is healthy.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { type AddressInfo, createServer as createNetServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCache } from '@hotpath/cache'
import { createDatabase, postgres } from '@hotpath/db'
import { createHttpClient } from '@hotpath/http'
import { eventually, freshSchema, isCI, requirePostgres, startHttpServer } from '@hotpath/test-helpers'
import { describe, expect, it } from 'vitest'
import { createMetrics } from '../src/index.ts'

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo
      s.close(() => resolve(port))
    })
  })
}

function hasPrometheus(): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('prometheus', ['--version'], (error) => resolve(error === null))
  })
}

interface Panel {
  title: string
  targets?: Array<{ expr: string }>
}

describe('defect 5: the dashboard against a real Prometheus', () => {
  it('every expression returns data from a healthy service; latency never mixes methods', async (ctx) => {
    if (!(await hasPrometheus())) {
      if (isCI()) throw new Error('prometheus is required under CI (Debian package `prometheus`)')
      return ctx.skip()
    }
    if (!(await requirePostgres())) return ctx.skip()
    const schema = await freshSchema()
    const dir = await mkdtemp(join(tmpdir(), 'hp-prom-'))
    await using metrics = createMetrics({ serviceName: 'orders-api', runtime: { sampleInterval: 200 } })
    metrics.instrument()
    const upstream = await startHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=1' })
      res.end('{"rate":1.1}')
    })
    await using cache = createCache({ namespace: 'orders', l1: { max: 10 } })
    await using ratesCache = createCache({ namespace: 'rates' })
    const rates = createHttpClient({ name: 'rates', cache: ratesCache })
    const db = createDatabase({ name: 'main', driver: postgres({ connectionString: schema.url }) })
    metrics.observe(cache)
    metrics.observe(rates)
    metrics.observe(db)
    await db.execute('CREATE TABLE orders (id int primary key, total int)')
    await db.execute('INSERT INTO orders SELECT g, g * 10 FROM generate_series(1, 50) g')

    let server: Server | undefined
    let prometheus: ChildProcess | undefined
    let running = true
    let traffic: Promise<void> | undefined
    try {
      server = createServer((req, res) => {
        const started = performance.now()
        const url = new URL(req.url ?? '/', 'http://x')
        if (url.pathname === '/metrics') return metrics.handler(req, res)
        const done = (status: number, body: string, route: string) => {
          res.writeHead(status, { 'content-type': 'application/json' })
          res.end(body)
          metrics.recordServerRequest({
            method: req.method ?? 'GET',
            route,
            statusCode: status,
            durationMs: performance.now() - started,
          })
        }
        const m = /^\/orders\/(\d+)$/.exec(url.pathname)
        if (m) {
          const id = Number(m[1])
          const work =
            req.method === 'POST'
              ? db.execute('UPDATE orders SET total = total + 1 WHERE id = $1', [id]).then(() => ({ id }))
              : cache.getOrSet(`order:${id}`, () =>
                  db.query('SELECT id, total FROM orders WHERE id = $1', [id]),
                )
          work.then(
            (v) => done(200, JSON.stringify(v), '/orders/:id'),
            () => done(500, '{}', '/orders/:id'),
          )
          return
        }
        if (url.pathname === '/rates') {
          rates.request(`${upstream.origin}/rates/eur`).then(
            async (r) => done(200, await r.text(), '/rates'),
            () => done(502, '{}', '/rates'),
          )
          return
        }
        done(404, '{}', '(unmatched)')
      })
      await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
      const target = `127.0.0.1:${(server.address() as AddressInfo).port}`

      // healthy traffic: reads, writes, cached upstream calls, garbage for GC
      traffic = (async () => {
        let i = 0
        while (running) {
          i++
          const id = (i % 20) + 1
          await Promise.all([
            fetch(`http://${target}/orders/${id}`).then((r) => r.text()),
            fetch(`http://${target}/orders/${id}`, { method: 'POST' }).then((r) => r.text()),
            fetch(`http://${target}/rates`).then((r) => r.text()),
          ]).catch(() => {})
          Array.from({ length: 20_000 }, (_, k) => ({ k })) // young-generation garbage: minor GCs run
          await new Promise((r) => setTimeout(r, 20))
        }
      })()

      const port = await freePort()
      const config = join(dir, 'prometheus.yml')
      await writeFile(
        config,
        `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: orders-api\n    static_configs:\n      - targets: ['${target}']\n`,
      )
      prometheus = spawn(
        'prometheus',
        [
          `--config.file=${config}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        { stdio: 'ignore' },
      )
      const api = `http://127.0.0.1:${port}/api/v1/query`
      const query = async (expr: string) => {
        const r = await fetch(`${api}?query=${encodeURIComponent(expr)}`)
        const body = (await r.json()) as {
          status: string
          error?: string
          data?: { result: Array<{ metric: Record<string, string> }> }
        }
        if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`)
        return body.data?.result ?? []
      }
      const dashboard = JSON.parse(
        await readFile(new URL('../dashboards/orders-api.json', import.meta.url), 'utf8'),
      ) as { panels: Panel[] }
      const exprs = dashboard.panels.flatMap((p) =>
        (p.targets ?? []).map((t) => ({
          title: p.title,
          expr: t.expr
            .replaceAll('$__rate_interval', '20s')
            .replaceAll('$job', '.*')
            .replaceAll('$instance', '.*'),
        })),
      )
      expect(exprs.length).toBeGreaterThan(20)
      let empty: string[] = []
      await eventually(
        async () => {
          empty = []
          for (const e of exprs) {
            const result = await query(e.expr).catch(() => [])
            if (result.length === 0) empty.push(`${e.title}: ${e.expr}`)
          }
          return empty.length === 0
        },
        { timeoutMs: 90_000, intervalMs: 1000, what: 'every dashboard expression to return data' },
      ).catch(() => {})
      expect(empty).toEqual([])
      // latency panels: one series per method of a route
      for (const e of exprs.filter((x) => /histogram_quantile/.test(x.expr) && /http_/.test(x.expr))) {
        for (const series of await query(e.expr))
          expect(series.metric, e.expr).toHaveProperty('http_request_method')
      }
      const orders = await query(exprs.find((e) => e.title.startsWith('Latency'))?.expr ?? '')
      const methods = new Set(
        orders.filter((s) => s.metric.http_route === '/orders/:id').map((s) => s.metric.http_request_method),
      )
      expect(methods).toEqual(new Set(['GET', 'POST']))
      // healthy: the error ratios are 0, not absent
      const ratio = await query(exprs.find((e) => e.title.startsWith('Error ratio'))?.expr ?? '')
      expect(ratio.length).toBeGreaterThan(0)
    } finally {
      running = false
      await traffic
      const exited =
        prometheus && prometheus.exitCode === null
          ? new Promise((r) => prometheus?.once('exit', r))
          : undefined
      prometheus?.kill('SIGTERM')
      await exited
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
      await rates.close()
      await db.close()
      await upstream.close()
      await schema.drop()
      await rm(dir, { recursive: true, force: true })
    }
  }, 150_000)
})
