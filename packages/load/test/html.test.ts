/// <reference lib="dom" />
// The HTML report renders offline in headless Chromium: charts drew, no network; a screenshot is kept.
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { isCI } from '@hotpath/test-helpers'
import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderHtmlReport } from '../src/html.ts'
import type { LoadResult } from '../src/result.ts'
import { runLoad } from '../src/run.ts'
import { startOrdersServer } from './orders-server.ts'
import { startTarget, type TargetProcess } from './servers.ts'

const executablePath = '/usr/bin/chromium'
const artifacts = new URL('../test-artifacts/', import.meta.url).pathname
let target: TargetProcess
let result: LoadResult

beforeAll(async () => {
  target = await startTarget({ mode: 'bimodal', seed: 3, fastMs: 1, slowMs: 20, slowFraction: 0.05 })
  result = await runLoad({
    url: target.origin,
    connections: 4,
    duration: 2200,
    thresholds: ['p99<1s', 'rps>1000000'],
  })
})
afterAll(async () => {
  await target?.close()
})

describe('HTML report', () => {
  it('is one self-contained file: no external scripts, styles, images or fonts', () => {
    const html = renderHtmlReport(result)
    expect(html.startsWith('<!doctype html>')).toBe(true)
    expect(html).not.toMatch(/<script[^>]+src=/)
    expect(html).not.toMatch(/<link[^>]+href=/)
    expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/)
    for (const id of [
      'latency-over-time',
      'rps-over-time',
      'sends-over-time',
      'latency-distribution',
      'status-breakdown',
    ]) {
      expect(html).toContain(`id="${id}"`)
    }
    const embedded = /<script type="application\/json" id="hotpath-load-result">(.*?)<\/script>/s.exec(html)
    expect(JSON.parse(embedded![1]!).requests.completed).toBe(result.requests.completed)
  })

  it('per-name table, hover tooltips (SVG <title>), log latency axis, x axis to the run end, protocol', async () => {
    const orders = await startOrdersServer()
    try {
      const r = await runLoad({
        url: orders.origin,
        amount: 20,
        connections: 2,
        scenario: {
          requests: [
            {
              sequence: [
                { name: 'login', method: 'POST', path: '/login', capture: { token: { json: 'token' } } },
                { name: 'read', path: '/orders/none', headers: { authorization: 'Bearer {{token}}' } },
              ],
            },
          ],
        },
      })
      const html = renderHtmlReport(r)
      const table = /<table id="names"[\s\S]*?<\/table>/.exec(html)![0]
      expect(table).toMatch(/<tr><td>login<\/td><td>20<\/td><td>20<\/td><td>0<\/td>/)
      expect(table).toMatch(/<tr><td>read<\/td><td>20<\/td><td>0<\/td><td>20<\/td>.*HTTP_404: 20/)
      expect(html).toContain('(log scale)')
      expect(html).toMatch(/<title>second 1: p99 [\d.]+(µs|ms)<\/title>/)
      expect(html).toMatch(/<title>p99: [\d.]+(µs|ms)<\/title>/)
      expect(html).toContain('· http/1.1 ·')
      expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/)
    } finally {
      await orders.close()
    }
  })

  it('renders in headless Chromium: every chart drew, screenshot saved', async (ctx) => {
    if (!existsSync(executablePath)) {
      if (isCI())
        throw new Error(
          `Chromium is required under CI but ${executablePath} is missing (apt-get install -y chromium)`,
        )
      console.warn(`skipping: ${executablePath} not found (apt-get install -y chromium)`)
      ctx.skip()
      return
    }
    await mkdir(artifacts, { recursive: true })
    const file = `${artifacts}report.html`
    await writeFile(file, renderHtmlReport(result))
    const browser = await chromium.launch({
      executablePath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
      timeout: 30_000,
    })
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
      const requests: string[] = []
      page.on('request', (req) => {
        if (!req.url().startsWith('file:')) requests.push(req.url())
      })
      const errors: string[] = []
      page.on('pageerror', (e) => errors.push(e.message))
      await page.goto(`file://${file}`, { waitUntil: 'load', timeout: 15_000 })
      const charts = await page.evaluate(() =>
        [...document.querySelectorAll('svg.chart')].map((svg) => {
          const box = svg.getBoundingClientRect()
          const paths = [...svg.querySelectorAll('path.series')].map((p) =>
            (p as SVGPathElement).getTotalLength(),
          )
          const bars = [...svg.querySelectorAll('rect.bar')].map((r) => (r as SVGRectElement).getBBox().width)
          return { id: svg.id, width: box.width, height: box.height, paths, bars }
        }),
      )
      expect(charts.map((c) => c.id)).toEqual([
        'latency-over-time',
        'rps-over-time',
        'sends-over-time',
        'latency-distribution',
        'status-breakdown',
      ])
      for (const c of charts) {
        expect(c.width, c.id).toBeGreaterThan(100)
        expect(c.height, c.id).toBeGreaterThan(50)
      }
      // Line charts: drawn paths of non-zero length (4 percentiles, req/s + errors/s, the percentile curve).
      expect(charts[0]!.paths.length).toBe(4)
      expect(charts[0]!.paths.every((l) => l > 50)).toBe(true)
      expect(charts[1]!.paths[0]!).toBeGreaterThan(50)
      // Sends: sent, late and dropped per second.
      expect(charts[2]!.paths.length).toBe(3)
      expect(charts[2]!.paths[0]!).toBeGreaterThan(50)
      expect(charts[3]!.paths[0]!).toBeGreaterThan(50)
      // Status breakdown: one bar for HTTP 200.
      expect(charts[4]!.bars.length).toBe(1)
      expect(charts[4]!.bars[0]!).toBeGreaterThan(100)
      expect(await page.locator('li.fail').textContent()).toContain('rps>1000000')
      expect(errors).toEqual([])
      expect(requests).toEqual([])
      const png = await page.screenshot({ path: `${artifacts}report.png`, fullPage: true })
      expect(png.length).toBeGreaterThan(10_000)
    } finally {
      await browser.close()
    }
  })
})
