// Tiny SVG chart builders for the HTML report (no dependency, no script, no network).

export interface Series {
  name: string
  color: string
  points: Array<[number, number]>
}

const W = 640
const H = 260
const M = { left: 64, right: 16, top: 28, bottom: 40 }

export function esc(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')
}

function niceMax(v: number): number {
  if (!(v > 0)) return 1
  const p = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p
  return 10 * p
}

export function lineChart(opts: {
  id: string
  title: string
  series: Series[]
  xLabel: string
  xTicks?: Array<[number, string]>
  yFormat: (v: number) => string
  xMin?: number
  xMax?: number
  /** Logarithmic y axis (decades), for latencies spanning orders of magnitude. */
  yLog?: boolean
  /** Tooltip text of a point (SVG <title>: shown on hover, no script). */
  tip?: (series: string, x: number, y: number) => string
}): string {
  const all = opts.series.flatMap((s) => s.points)
  const xMin = opts.xMin ?? Math.min(...all.map((p) => p[0]), 0)
  const xMax = opts.xMax ?? Math.max(...all.map((p) => p[0]), xMin + 1)
  const yMax = niceMax(Math.max(...all.map((p) => p[1]), 0))
  const pw = W - M.left - M.right
  const ph = H - M.top - M.bottom
  const sx = (x: number) => M.left + ((x - xMin) / (xMax - xMin || 1)) * pw
  // Log axis: from the decade below the smallest positive value to the decade above the largest.
  const positive = all.map((p) => p[1]).filter((v) => v > 0)
  const lo = positive.length > 0 ? 10 ** Math.floor(Math.log10(Math.min(...positive))) : 0.001
  const hi = positive.length > 0 ? 10 ** Math.ceil(Math.log10(Math.max(...positive) * 1.0001)) : 1
  const sy = opts.yLog
    ? (y: number) =>
        M.top + ph - ((Math.log10(Math.max(y, lo)) - Math.log10(lo)) / (Math.log10(hi / lo) || 1)) * ph
    : (y: number) => M.top + ph - (y / yMax) * ph
  const out: string[] = []
  out.push(
    `<svg id="${esc(opts.id)}" class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(opts.title)}">`,
  )
  out.push(`<text x="${M.left}" y="18" class="title">${esc(opts.title)}</text>`)
  const yTicks: number[] = []
  if (opts.yLog) for (let v = lo; v <= hi * 1.0001; v *= 10) yTicks.push(v)
  else for (let i = 0; i <= 4; i++) yTicks.push((yMax * i) / 4)
  for (const y of yTicks) {
    out.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${sy(y).toFixed(1)}" y2="${sy(y).toFixed(1)}" class="grid"/>`,
    )
    out.push(
      `<text x="${M.left - 6}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end" class="tick">${esc(y === 0 ? '0' : opts.yFormat(y))}</text>`,
    )
  }
  const xTicks = opts.xTicks ?? integerTicks(xMin, xMax)
  for (const [x, label] of xTicks) {
    out.push(
      `<text x="${sx(x).toFixed(1)}" y="${H - M.bottom + 16}" text-anchor="middle" class="tick">${esc(label)}</text>`,
    )
  }
  out.push(
    `<text x="${M.left + pw / 2}" y="${H - 6}" text-anchor="middle" class="tick">${esc(opts.xLabel)}</text>`,
  )
  out.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + ph}" class="axis"/>`)
  out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${M.top + ph}" y2="${M.top + ph}" class="axis"/>`)
  let lx = M.left + 8
  for (const s of opts.series) {
    if (s.points.length > 0) {
      const d = s.points
        .map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`)
        .join('')
      out.push(
        `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2" class="series" data-series="${esc(s.name)}"/>`,
      )
      if (s.points.length === 1) {
        const [x, y] = s.points[0]!
        out.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${s.color}"/>`)
      }
      if (opts.tip) {
        // Hover targets with a native tooltip; at most ~300 per series (long runs are sampled).
        const every = Math.ceil(s.points.length / 300)
        for (let i = 0; i < s.points.length; i += every) {
          const [x, y] = s.points[i]!
          out.push(
            `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="4" fill="${s.color}" fill-opacity="0" class="pt"><title>${esc(opts.tip(s.name, x, y))}</title></circle>`,
          )
        }
      }
    }
    out.push(`<rect x="${lx}" y="${M.top + 2}" width="10" height="10" fill="${s.color}"/>`)
    out.push(`<text x="${lx + 14}" y="${M.top + 11}" class="tick">${esc(s.name)}</text>`)
    lx += 24 + s.name.length * 7
  }
  out.push('</svg>')
  return out.join('\n')
}

export function barChart(opts: {
  id: string
  title: string
  bars: Array<{ label: string; value: number; color: string }>
}): string {
  const rowH = 26
  const h = M.top + Math.max(1, opts.bars.length) * rowH + 12
  const max = Math.max(1, ...opts.bars.map((b) => b.value))
  const labelW = 120
  const pw = W - labelW - 90
  const out: string[] = []
  out.push(
    `<svg id="${esc(opts.id)}" class="chart" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" role="img" aria-label="${esc(opts.title)}">`,
  )
  out.push(`<text x="${M.left}" y="18" class="title">${esc(opts.title)}</text>`)
  if (opts.bars.length === 0)
    out.push(`<text x="${labelW}" y="${M.top + 16}" class="tick">no responses</text>`)
  opts.bars.forEach((b, i) => {
    const y = M.top + i * rowH
    const w = Math.max(1, (b.value / max) * pw)
    out.push(`<text x="${labelW - 8}" y="${y + 16}" text-anchor="end" class="tick">${esc(b.label)}</text>`)
    out.push(
      `<rect x="${labelW}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${b.color}" class="bar"/>`,
    )
    out.push(
      `<text x="${(labelW + w + 6).toFixed(1)}" y="${y + 16}" class="tick">${b.value.toLocaleString('en-US')}</text>`,
    )
  })
  out.push('</svg>')
  return out.join('\n')
}

/** At most ~8 ticks at whole, evenly spaced values. */
function integerTicks(min: number, max: number): Array<[number, string]> {
  const step = Math.max(1, niceMax(Math.max(1, max - min) / 8))
  const ticks: Array<[number, string]> = []
  for (let x = Math.ceil(min / step) * step; x <= max + 1e-9; x += step) ticks.push([x, String(x)])
  return ticks
}
