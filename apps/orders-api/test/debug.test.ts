// Debug routes: off without DEBUG_TOKEN, 401 without the bearer token; the dashboard renders in headless Chromium.
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningService, startService } from './service.ts'

const token = 'test-token-0123456789abcdef'
const auth = { authorization: `Bearer ${token}` }
const CHROMIUM = '/usr/bin/chromium'

describe('debug routes without a token configured', () => {
  it('are off (404)', async () => {
    const svc = await startService('optimized')
    try {
      for (const path of [
        '/debug/performance',
        '/debug/performance.html',
        '/debug/cache-stats',
        '/debug/slow-queries',
      ])
        expect((await fetch(`${svc.origin}${path}`, { headers: auth })).status).toBe(404)
    } finally {
      await svc.close()
    }
  })
})

describe('debug routes with DEBUG_TOKEN', () => {
  let svc: RunningService
  beforeAll(async () => {
    svc = await startService('optimized', { debugToken: token })
    for (let i = 1; i <= 5; i++) await fetch(`${svc.origin}/orders/${i}`)
  })
  afterAll(() => svc?.close())

  it('need the bearer token', async () => {
    const none = await fetch(`${svc.origin}/debug/performance`)
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toBe('Bearer')
    expect(await none.json()).toMatchObject({ code: 'ORDERS_UNAUTHORIZED' })
    expect(
      (await fetch(`${svc.origin}/debug/performance`, { headers: { authorization: 'Bearer wrong' } })).status,
    ).toBe(401)
    expect((await fetch(`${svc.origin}/debug/performance.html`)).status).toBe(401)
  })

  it('/debug/performance, /debug/slow-queries and /debug/cache-stats answer JSON', async () => {
    const report = (await (await fetch(`${svc.origin}/debug/performance`, { headers: auth })).json()) as {
      routes: Array<{ route: string }>
      audit: { mode: string }
      upstream: { calls: number }
    }
    expect(report.routes.map((r) => r.route)).toContain('/orders/:id')
    expect(report.audit.mode).toBe('queued')
    expect(report.upstream.calls).toBeGreaterThan(0)
    const slow = (await (await fetch(`${svc.origin}/debug/slow-queries`, { headers: auth })).json()) as {
      slowQueries: unknown[]
      nPlusOne: unknown[]
    }
    expect(Array.isArray(slow.slowQueries) && Array.isArray(slow.nPlusOne)).toBe(true)
    const stats = (await (await fetch(`${svc.origin}/debug/cache-stats`, { headers: auth })).json()) as {
      cache: { misses: number }
      http: { kind: string }
    }
    expect(stats.cache.misses).toBeGreaterThan(0)
    expect(stats.http.kind).toBe('http')
  })

  it('POST /debug/analyze returns findings and never runs the statement', async () => {
    const analyze = (sql: string) =>
      fetch(`${svc.origin}/debug/analyze`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ sql }),
      })
    const count = async () =>
      Number((await svc.services.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM orders'))[0]?.n)
    const res = await analyze('SELECT * FROM orders WHERE status = $1')
    expect(res.status).toBe(200)
    const { findings } = (await res.json()) as { findings: Array<{ kind: string; suggestion?: string }> }
    expect(findings.map((f) => f.kind)).toEqual(expect.arrayContaining(['select-star', 'full-scan']))
    expect(findings.find((f) => f.kind === 'full-scan')?.suggestion).toMatch(
      /CREATE INDEX .* ON orders \(status\)/,
    )
    const before = await count()
    expect((await analyze('DELETE FROM orders')).status).toBe(200)
    expect(await count()).toBe(before)
    expect((await analyze('SELECT 1; DELETE FROM orders')).status).toBe(400)
    expect(await count()).toBe(before)
  })

  it('the dashboard renders its charts in headless Chromium, with no external asset', async (ctx) => {
    if (!existsSync(CHROMIUM))
      return ctx.skip(`${CHROMIUM} is not installed: the browser test of the dashboard is skipped`)
    const { chromium } = await import('playwright-core')
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    try {
      const page = await browser.newPage({ extraHTTPHeaders: auth })
      const foreign: string[] = []
      page.on('request', (r) => {
        if (!r.url().startsWith(svc.origin)) foreign.push(r.url())
      })
      await page.goto(`${svc.origin}/debug/performance.html`)
      // Two refreshes: the charts have two points and the tables are filled from the report.
      type Page = { document: { body: { dataset: Record<string, string | undefined> } } }
      // A function, not a string: the page's CSP forbids eval.
      const updated = () => Number((globalThis as unknown as Page).document.body.dataset.updates ?? 0) >= 2
      await page.waitForFunction(updated, undefined, {
        timeout: 20_000,
      })
      for (const chart of ['throughput', 'p99', 'loop'])
        expect(await page.locator(`svg[data-chart="${chart}"] path.line`).getAttribute('d')).toMatch(
          /^M[\d.]+ [\d.]+ L/,
        )
      expect(await page.locator('#routes tbody tr').count()).toBeGreaterThan(0)
      expect(await page.locator('#routes').textContent()).toContain('/orders/:id')
      expect(foreign).toEqual([])
      await mkdir('test-artifacts', { recursive: true })
      await page.screenshot({ path: 'test-artifacts/dashboard.png', fullPage: true })
    } finally {
      await browser.close()
    }
  })
})
