// Pure pieces: threshold parsing/evaluation, stages, durations, progress line, compare rows.
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { compareResults, formatComparison } from '../src/compare.ts'
import { LoadInvalidThresholdError } from '../src/errors.ts'
import { createProgressWriter, progressLine } from '../src/progress.ts'
import type { LoadResult } from '../src/result.ts'
import { parseStages, valueAt } from '../src/stages.ts'
import { evaluateThresholds, parseThreshold } from '../src/thresholds.ts'
import { parseDuration } from '../src/units.ts'

function result(over: {
  p99?: number
  rps?: number
  errors?: number
  completed?: number
  late?: number
}): LoadResult {
  const completed = over.completed ?? 1000
  return {
    latency: {
      min: 1,
      mean: 5,
      stdev: 1,
      p50: 4,
      p75: 5,
      p90: 6,
      p95: 7,
      p99: over.p99 ?? 10,
      p99_9: 20,
      max: 30,
    },
    throughput: { rps: over.rps ?? 500, sendRate: 500, bytesPerSecond: 1000, bytes: 2000 },
    requests: {
      sent: completed,
      completed,
      ok: completed - (over.errors ?? 0),
      errors: over.errors ?? 0,
      late: over.late ?? 0,
      dropped: 0,
      cancelled: 0,
    },
  } as LoadResult
}

describe('thresholds', () => {
  it('parses latency units into milliseconds', () => {
    expect(parseThreshold('p99<50ms')).toMatchObject({ metric: 'p99', operator: '<', limit: 50, unit: 'ms' })
    expect(parseThreshold(' p99.9 <= 1.5s ')).toMatchObject({ metric: 'p99.9', operator: '<=', limit: 1500 })
    expect(parseThreshold('mean<800us').limit).toBeCloseTo(0.8)
    expect(parseThreshold('max<20').limit).toBe(20)
  })

  it('errors as a percentage or a count; rps as a plain number', () => {
    expect(parseThreshold('errors<1%')).toMatchObject({ metric: 'errors', unit: '%', limit: 1 })
    expect(parseThreshold('errors<=3')).toMatchObject({ unit: 'count', limit: 3 })
    expect(parseThreshold('rps>1000')).toMatchObject({
      metric: 'rps',
      operator: '>',
      limit: 1000,
      unit: '/s',
    })
  })

  it('evaluates against a result', () => {
    const ts = ['p99<50ms', 'errors<1%', 'rps>1000', 'errors<=5', 'late<1%'].map(parseThreshold)
    const [p99, errPct, rps, errCount, late] = evaluateThresholds(
      ts,
      result({ p99: 60, errors: 5, rps: 900, late: 20 }),
    )
    expect(p99).toMatchObject({ pass: false, actual: 60 })
    expect(errPct).toMatchObject({ pass: true, actual: 0.5 })
    expect(rps).toMatchObject({ pass: false, actual: 900 })
    expect(errCount).toMatchObject({ pass: true, actual: 5 })
    expect(late).toMatchObject({ pass: false, actual: 2 })
  })

  it('errors point at the mistake', () => {
    const cases: Array<[string, string, number]> = [
      ['p99x<50ms', 'unknown metric "p99x"; did you mean "p99"?', 0],
      ['rsp>10', 'did you mean "rps"?', 0],
      ['p99 50ms', 'expected an operator', 4],
      ['p99<', 'expected a number', 4],
      ['p99<50xs', 'unknown unit "xs"', 6],
      ['errors<1ms', 'unknown unit "ms" for errors', 8],
      ['rps>10%', 'unexpected unit "%" for rps', 6],
      ['p99==5', 'operator "==" is not supported', 3],
      ['', 'expected a metric name', 0],
    ]
    for (const [expr, message, column] of cases) {
      let error: unknown
      try {
        parseThreshold(expr)
      } catch (e) {
        error = e
      }
      expect(error, expr).toBeInstanceOf(LoadInvalidThresholdError)
      expect((error as Error).message).toContain(message)
      expect((error as LoadInvalidThresholdError).details?.position, expr).toBe(column)
      expect((error as Error).message.split('\n')[2]).toBe(`  ${' '.repeat(column)}^`)
    }
  })
})

describe('stages and durations', () => {
  it('parses durations', () => {
    expect(parseDuration('10s')).toBe(10_000)
    expect(parseDuration('1.5m')).toBe(90_000)
    expect(parseDuration('250ms')).toBe(250)
    expect(parseDuration('1h')).toBe(3_600_000)
    expect(parseDuration('250')).toBe(250_000)
    expect(parseDuration('ten')).toBeNaN()
  })

  it('stage profiles ramp linearly from 0', () => {
    const stages = parseStages('10s:100,30s:1000,10s:0')
    expect(stages).toEqual([
      { duration: 10_000, target: 100 },
      { duration: 30_000, target: 1000 },
      { duration: 10_000, target: 0 },
    ])
    expect(valueAt(stages, 0, 5_000)).toBe(50)
    expect(valueAt(stages, 0, 25_000)).toBe(550)
    expect(valueAt(stages, 0, 45_000)).toBe(500)
    expect(valueAt(stages, 0, 60_000)).toBe(0)
  })
})

describe('progress', () => {
  it('shows elapsed/remaining, req/s, p99 and errors', () => {
    const line = progressLine(
      { elapsedMs: 2500, durationMs: 10_000, requests: 5000, errors: 3, rps: 2000, p99: 12.3, inFlight: 4 },
      20,
    )
    expect(line).toBe('█████░░░░░░░░░░░░░░░ 2.50s elapsed, 7.50s left | 2,000 req/s | p99 12.3ms | errors 3')
  })

  it('redraws one line on a TTY and clears it at the end; quiet under CI', () => {
    const tty = () => {
      const out = { written: '', stream: undefined as unknown as NodeJS.WriteStream }
      const w = new Writable({
        write(chunk, _enc, cb) {
          out.written += chunk
          cb()
        },
      }) as unknown as NodeJS.WriteStream & { isTTY: boolean }
      w.isTTY = true
      out.stream = w
      return out
    }
    const p = { elapsedMs: 1000, durationMs: 2000, requests: 10, errors: 0, rps: 10, p99: 1, inFlight: 0 }
    const a = tty()
    const writer = createProgressWriter(a.stream, true, {})
    writer.update(p)
    writer.update({ ...p, elapsedMs: 2000 })
    writer.done()
    expect(a.written.split('\r\x1b[2K').filter(Boolean)).toEqual([
      progressLine(p),
      progressLine({ ...p, elapsedMs: 2000 }),
    ])
    expect(a.written.endsWith('\r\x1b[2K')).toBe(true)
    const b = tty()
    const ci = createProgressWriter(b.stream, true, { CI: 'true' })
    ci.update(p)
    ci.done()
    expect(b.written).toBe('')
    const c = tty()
    const quiet = createProgressWriter(c.stream, false, {})
    quiet.update(p)
    expect(c.written).toBe('')
  })

  it('is quiet on a non-TTY stream', () => {
    let written = ''
    const stream = new Writable({
      write(chunk, _enc, cb) {
        written += chunk
        cb()
      },
    }) as unknown as NodeJS.WriteStream
    const writer = createProgressWriter(stream, true)
    writer.update({ elapsedMs: 1000, durationMs: 2000, requests: 1, errors: 0, rps: 1, p99: 1, inFlight: 0 })
    writer.done()
    expect(written).toBe('')
  })
})

describe('compare', () => {
  it('ratios are after / before, with a verdict by direction', () => {
    const rows = compareResults(result({ p99: 10, rps: 1000 }), result({ p99: 5, rps: 1500 }))
    const rps = rows.find((r) => r.metric === 'rps')!
    const p99 = rows.find((r) => r.metric === 'p99')!
    expect(rps.ratio).toBe(1.5)
    expect(p99.ratio).toBe(0.5)
    const text = formatComparison(rows)
    expect(text).toMatch(/rps +1,000 +1,500 +1\.50x +better/)
    expect(text).toMatch(/p99 +10\.0ms +5\.00ms +0\.50x +better/)
  })
})
