import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { writeResultsMarkdown } from '../src/report.ts'
import { runSuite, saveResult } from '../src/runner.ts'
import { evaluateTargets, median, summarize } from '../src/stats.ts'
import { defineSuite } from '../src/suite.ts'

describe('stats', () => {
  it('takes medians of odd and even sample counts', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
  })

  it('computes ratios per group baseline and checks targets', () => {
    const suite = defineSuite({
      name: 's',
      title: 't',
      unit: 'ops/s',
      baseline: { a: 'base-a', b: 'base-b' },
      contenders: [
        { name: 'base-a', group: 'a', measure: () => 0 },
        { name: 'ours-a', group: 'a', measure: () => 0 },
        { name: 'base-b', group: 'b', measure: () => 0 },
        { name: 'ours-b', group: 'b', measure: () => 0 },
      ],
    })
    const rows = summarize(
      suite,
      new Map([
        ['base-a', [10, 10, 10]],
        ['ours-a', [20, 30, 25]],
        ['base-b', [100]],
        ['ours-b', [50]],
      ]),
    )
    expect(rows.find((r) => r.name === 'ours-a')?.ratio).toBe(2.5)
    expect(rows.find((r) => r.name === 'ours-b')?.ratio).toBe(0.5)
    const targets = evaluateTargets(
      [
        { name: 'ours-a', vs: 'base-a', atLeast: 2 },
        { name: 'ours-b', vs: 'base-b', atLeast: 1 },
      ],
      rows,
    )
    expect(targets.map((t) => t.pass)).toEqual([true, false])
  })
})

describe('runner', () => {
  it('runs a suite in a child process with interleaved rounds and writes JSON + RESULTS.md', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hp-bench-test-'))
    try {
      const suiteFile = join(dir, 'tiny.ts')
      const harness = new URL('../src/', import.meta.url).pathname
      await writeFile(
        suiteFile,
        `import { defineSuite } from '${harness}suite.ts'
import { opsPerSecond } from '${harness}measure.ts'
let order = []
export default defineSuite({
  name: 'tiny', title: 'tiny suite', unit: 'ops/s', rounds: 3, baseline: 'noop',
  contenders: [
    { name: 'noop', measure: () => opsPerSecond(() => 0, 20) },
    { name: 'sum', measure: () => opsPerSecond((i) => i + 1, 20) },
  ],
  targets: [{ name: 'sum', vs: 'noop', atLeast: 0.01 }],
})
`,
      )
      const result = await runSuite(suiteFile)
      expect(result.suite).toBe('tiny')
      expect(result.rounds).toBe(3)
      expect(result.results.map((r) => r.samples.length)).toEqual([3, 3])
      expect(result.results[0]?.median).toBeGreaterThan(0)
      expect(result.targets[0]?.pass).toBe(true)
      await saveResult(dir, result)
      const json = JSON.parse(await readFile(join(dir, 'results', 'tiny.json'), 'utf8'))
      expect(Object.keys(json)).toEqual(expect.arrayContaining(['suite', 'node', 'cpu', 'date', 'results']))
      expect(Object.keys(json.results[0])).toEqual(
        expect.arrayContaining(['name', 'median', 'min', 'max', 'unit']),
      )
      await writeResultsMarkdown(dir)
      const md = await readFile(join(dir, 'RESULTS.md'), 'utf8')
      expect(md).toContain('## tiny: tiny suite')
      expect(md).toMatch(/\| sum \| .* \| \d+\.\d\dx noop \|/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('measure', () => {
  it('stops concurrent loops whose calls never do I/O', async () => {
    const { concurrentOpsPerSecond } = await import('../src/measure.ts')
    const started = performance.now()
    const rate = await concurrentOpsPerSecond(async () => 1, 10, 50)
    expect(rate).toBeGreaterThan(0)
    expect(performance.now() - started).toBeLessThan(5000)
  })
})
