// Parsing and formatting of durations and sizes. Durations are milliseconds.

const durationUnits: Record<string, number> = {
  us: 0.001,
  µs: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
}

/**
 * Parses `10s`, `500ms`, `2m`, `1h`, `1.5s`; a bare number in a string is SECONDS (the one rule of every duration
 * the CLI reads: `-d 30`, `--stages 30:100`, `--warmup 2`, like k6/wrk). A number (the library) is milliseconds.
 * Returns NaN when invalid.
 */
export function parseDuration(text: string | number): number {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text : Number.NaN
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m|h)?\s*$/.exec(text)
  if (!m) return Number.NaN
  const unit = m[2] ?? 's'
  return Number(m[1]) * (durationUnits[unit] ?? Number.NaN)
}

/** Human duration: 950µs, 12.3ms, 1.25s. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-'
  if (ms < 1) return `${Math.round(ms * 1000)}µs`
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : Math.round(ms)}ms`
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '-'
  const units = ['B', 'kB', 'MB', 'GB']
  let i = 0
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000
    i++
  }
  return `${i === 0 ? Math.round(n) : n.toFixed(1)} ${units[i]}`
}

export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '-'
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US')
  return Number.isInteger(n) ? String(n) : n.toFixed(1)
}
