// Runs across machines: --segment i/n gives each of n generators a deterministic share, --start-at aligns them, and
// `merge` adds the parts up exactly (counts, whole-run and per-name HDR histograms). Three real CLI processes here.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../src/cli.ts'
import { LoadMergeError } from '../src/errors.ts'
import { decodeHistogram } from '../src/histogram.ts'
import { mergeResults } from '../src/merge.ts'
import type { LoadResult } from '../src/result.ts'
import { runLoad } from '../src/run.ts'
import { percentile, startTarget, type TargetProcess } from './servers.ts'

const cliFile = new URL('./fixtures/cli.ts', import.meta.url).pathname
let target: TargetProcess
let dir: string
beforeAll(async () => {
  target = await startTarget({ mode: 'constant', ms: 1 })
  dir = await mkdtemp(join(tmpdir(), 'hotpath-load-segments-'))
})
afterAll(async () => {
  await target?.close()
  await rm(dir, { recursive: true, force: true })
})

function cliProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cliFile, ...args],
      { env: { ...process.env, CI: 'true' }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    )
  })
}

function sink() {
  const out: string[] = []
  const stream = { write: (t: string | Uint8Array) => out.push(String(t)) > 0 }
  return { out, io: { stdout: stream, stderr: stream, env: { CI: 'true' } } }
}

describe('segments and merge', () => {
  it('3 segment processes, aligned by --start-at, merge to the whole rate with exact counts', async () => {
    const { received: before } = await target.stats()
    const startAt = new Date(Date.now() + 4000).toISOString()
    const files = [1, 2, 3].map((i) => join(dir, `part-${i}.json`))
    const runs = await Promise.all(
      files.map((json, i) =>
        cliProcess([
          '-R',
          '300',
          '-d',
          '2s',
          '-c',
          '6',
          '--segment',
          `${i + 1}/3`,
          '--start-at',
          startAt,
          '--json',
          json,
          target.origin,
        ]),
      ),
    )
    for (const r of runs) expect(r.stderr).toBe('')
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0])
    const parts = await Promise.all(
      files.map(async (f) => JSON.parse(await readFile(f, 'utf8')) as LoadResult),
    )
    // Every third send of the schedule: 200 each, 600 in all, exactly the whole run's (a part starved of CPU
    // may drop the sends it could not make in time, counted as dropped).
    expect(parts.map((p) => p.requests.sent + p.requests.dropped)).toEqual([200, 200, 200])
    expect(parts.map((p) => p.options.segment)).toEqual(['1/3', '2/3', '3/3'])
    expect(parts.every((p) => p.options.startAt === startAt)).toBe(true)
    const merged = join(dir, 'merged.json')
    const out = sink()
    const code = await main(['merge', ...files, '--json', merged, '--threshold', 'errors<1%'], out.io)
    expect(out.out.join('')).toContain('PASS  errors<1%')
    expect(code).toBe(0)
    const m = JSON.parse(await readFile(merged, 'utf8')) as LoadResult
    const sent = parts.reduce((n, p) => n + p.requests.sent, 0)
    expect(m.requests.sent + m.requests.dropped).toBe(600)
    expect(m.requests.sent).toBe(sent)
    expect(m.requests.responses).toBe(sent)
    expect(m.requests.ok).toBe(sent)
    expect(m.options.segment).toBe(null)
    // No segment is missing; a part's own warnings (a busy machine's generator lag) are kept, labelled.
    expect(m.warnings.filter((w) => w.includes('missing'))).toEqual([])
    for (const w of m.warnings) expect(w).toMatch(/^[123]\/3: /)
    const h = decodeHistogram(m.histogram)
    expect(h.totalCount).toBe(sent)
    // The merge of the histograms is exact: the same counts as adding the parts' decoded histograms.
    const again = decodeHistogram(parts[0]!.histogram)
    again.add(decodeHistogram(parts[1]!.histogram))
    again.add(decodeHistogram(parts[2]!.histogram))
    expect(h.getValueAtPercentile(99)).toBe(again.getValueAtPercentile(99))
    // (A decoded histogram's max is its bucket's highest value: equal within HDR's 3 significant digits.)
    const partsMax = Math.max(...parts.map((p) => p.latency.max))
    expect(Math.abs(m.latency.max - partsMax) / partsMax).toBeLessThan(0.001)
    // The three schedules were aligned: the server saw the whole rate (about 300/s over about 2 s), and the
    // merged latency is never below the server's own record.
    const stats = await target.stats()
    const arrivals = stats.arrivals.slice(before)
    expect(arrivals.length).toBe(sent)
    const span = arrivals.at(-1)! - arrivals[0]!
    expect(span).toBeGreaterThan(1900)
    // Longer than the schedule (plus a stall allowance) only if the parts reported late or dropped sends.
    if (span > 2600) expect(m.requests.late + m.requests.dropped).toBeGreaterThan(0)
    expect(m.latency.p50).toBeGreaterThanOrEqual(percentile(stats.serviceMs.slice(before), 50))
  })

  it('closed model: amount and connections split deterministically (4 + 3 + 3 of 10)', async () => {
    const parts: LoadResult[] = []
    for (const segment of ['1/3', '2/3', '3/3']) {
      parts.push(await runLoad({ url: target.origin, amount: 10, connections: 3, segment }))
    }
    expect(parts.map((p) => p.requests.completed)).toEqual([4, 3, 3])
    const m = mergeResults(parts)
    expect(m.requests.completed).toBe(10)
    expect(decodeHistogram(m.histogram).totalCount).toBe(10)
  })

  it('merge refuses parts of different tests or a segment twice; a missing segment is a warning', async () => {
    const a = await runLoad({
      url: target.origin,
      amount: 6,
      connections: 2,
      segment: { index: 1, count: 2 },
    })
    const b = await runLoad({ url: target.origin, amount: 6, connections: 2, segment: '2/2' })
    const other = await runLoad({ url: target.origin, amount: 7, connections: 2, segment: '2/2' })
    expect(() => mergeResults([a, other])).toThrow(LoadMergeError)
    expect(() => mergeResults([a, other])).toThrow('options.amount is 6 in one and 7 in another')
    expect(() => mergeResults([a, a])).toThrow('segment 1/2 appears twice')
    expect(mergeResults([a]).warnings).toEqual([
      'segments missing from the merge: 2/2 (the figures cover part of the test)',
    ])
    expect(mergeResults([a, b]).requests.completed).toBe(6)
    // Through the CLI: a mismatch is a usage error (exit 2), and so is a bad --segment.
    const fa = join(dir, 'a.json')
    const fo = join(dir, 'other.json')
    await writeFile(fa, JSON.stringify(a))
    await writeFile(fo, JSON.stringify(other))
    const out = sink()
    expect(await main(['merge', fa, fo], out.io)).toBe(2)
    expect(out.out.join('')).toContain('not parts of one test')
    expect(await main(['--segment', '4/3', '-n', '1', target.origin], out.io)).toBe(2)
    expect(await main(['--start-at', 'tomorrow', '-n', '1', target.origin], out.io)).toBe(2)
    expect(out.out.join('')).toContain('invalid --start-at')
  })
})
