import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { roundOrders } from '../src/order.ts'
import { renderSuite, writeResultsMarkdown } from '../src/report.ts'
import { runSuite, saveResult } from '../src/runner.ts'
import { evaluateTargets, median, quantile, roundRatios, summarize } from '../src/stats.ts'
import type { SuiteMeta } from '../src/suite.ts'

const harness = new URL('../src/', import.meta.url).pathname

describe('stats', () => {
  it('takes medians and quartiles', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(quantile([1, 2, 3, 4, 5], 0.25)).toBe(2)
    expect(quantile([1, 2, 3, 4, 5], 0.75)).toBe(4)
  })

  it('computes per-round ratios to each group baseline and judges targets on their median', () => {
    const meta: SuiteMeta = {
      name: 's',
      title: 't',
      unit: 'ops/s',
      baseline: { a: 'base-a', b: 'base-b' },
      contenders: [
        { name: 'base-a', group: 'a' },
        { name: 'ours-a', group: 'a' },
        { name: 'base-b', group: 'b' },
        { name: 'ours-b', group: 'b' },
      ],
      targets: [],
    }
    // Round 2 is a slow round for everybody: per-round ratios see through it.
    const samples = {
      'base-a': [10, 5, 10],
      'ours-a': [20, 10, 30],
      'base-b': [100, 100, 100],
      'ours-b': [50, 50, 200],
    }
    expect(roundRatios(samples['ours-a'], samples['base-a'])).toEqual([2, 2, 3])
    const rows = summarize({ meta, samples })
    const oursA = rows.find((r) => r.name === 'ours-a')!
    expect(oursA.ratio).toBe(2)
    expect(oursA.ratioQ1).toBe(2)
    expect(oursA.ratioQ3).toBe(2.5)
    expect(rows.find((r) => r.name === 'ours-b')?.ratio).toBe(0.5)
    const targets = evaluateTargets(
      [
        { name: 'ours-a', vs: 'base-a', atLeast: 2 },
        { name: 'ours-b', vs: 'base-b', atLeast: 1 },
      ],
      samples,
    )
    expect(targets.map((t) => t.pass)).toEqual([true, false])
  })
})

describe('order', () => {
  it('gives every round a fresh order, replayable from the seed', () => {
    const names = Array.from({ length: 12 }, (_, i) => `c${i}`)
    const orders = roundOrders(names, 8, 42)
    expect(new Set(orders.map((o) => o.join(','))).size).toBe(8)
    for (const o of orders) expect([...o].sort()).toEqual([...names].sort())
    // No contender keeps the same predecessor in every round (what a rotation would do).
    const predecessors = new Map<string, Set<string>>()
    for (const o of orders) {
      o.forEach((n, i) => {
        if (!predecessors.has(n)) predecessors.set(n, new Set())
        predecessors.get(n)!.add(o[i - 1] ?? '-')
      })
    }
    expect([...predecessors.values()].every((s) => s.size > 1)).toBe(true)
    expect(roundOrders(names, 8, 42)).toEqual(orders)
    expect(roundOrders(names, 8, 43)).not.toEqual(orders)
  })
})

describe('runner', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hp-bench-test-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  async function suiteFile(name: string, body: string): Promise<string> {
    const file = join(dir, `${name}.ts`)
    await writeFile(
      file,
      `import { defineSuite } from '${harness}suite.ts'\nimport { opsPerSecond } from '${harness}measure.ts'\n${body}`,
    )
    return file
  }

  it('runs a suite in its own process: random order per round, CPU per op, JSON and RESULTS.md', async () => {
    const marker = join(dir, 'imported-by')
    const file = await suiteFile(
      'tiny',
      `import { appendFileSync } from 'node:fs'
appendFileSync(${JSON.stringify(marker)}, process.pid + '\\n')
// An open handle at module load: the parent must not import this file, or it would never exit.
setInterval(() => {}, 1000)
const values = [1, 2, 3]
export default defineSuite({
  name: 'tiny', title: 'tiny suite', unit: 'ops/s', rounds: 4, baseline: 'noop',
  contenders: [
    { name: 'noop', config: 'does nothing', measure: () => opsPerSecond(() => 0, 20) },
    { name: 'sum', measure: () => opsPerSecond((i) => i + 1, 20), check: () => { if (values.reduce((a, b) => a + b) !== 6) throw new Error('bad sum') } },
    { name: 'third', measure: () => opsPerSecond((i) => i * 2, 20) },
  ],
  targets: [{ name: 'sum', vs: 'noop', atLeast: 0.01 }],
})
`,
    )
    const result = await runSuite(file, { seed: 7 })
    const importers = (await readFile(marker, 'utf8')).trim().split('\n').map(Number)
    expect(importers).toHaveLength(1)
    expect(importers[0]).not.toBe(process.pid)
    expect(result).toMatchObject({ suite: 'tiny', rounds: 4, seed: 7 })
    expect(result.command).toContain('HOTPATH_BENCH_SEED=7')
    expect(result.results.map((r) => r.samples.length)).toEqual([4, 4, 4])
    for (const row of result.results) {
      expect(row.median).toBeGreaterThan(0)
      expect(row.cpuPerOpUs).toBeGreaterThan(0)
      expect(row.q1).toBeLessThanOrEqual(row.q3)
    }
    expect(result.targets[0]?.pass).toBe(true)
    await saveResult(dir, result)
    const json = JSON.parse(await readFile(join(dir, 'results', 'tiny.json'), 'utf8'))
    expect(Object.keys(json)).toEqual(
      expect.arrayContaining(['suite', 'node', 'cpu', 'date', 'seed', 'results']),
    )
    await writeResultsMarkdown(dir)
    const md = await readFile(join(dir, 'RESULTS.md'), 'utf8')
    expect(md).toContain('## tiny: tiny suite')
    expect(md).toContain('| noop | does nothing |')
    expect(md).toMatch(/\| sum \| {2}\| .* \| \d+\.\d\dx \(\d+\.\d\dx–\d+\.\d\dx\) vs noop \|/)
    expect(renderSuite(result)).toContain('seed 7')
  })

  it('fails the suite when a contender returns a wrong result', async () => {
    const file = await suiteFile(
      'liar',
      `export default defineSuite({
  name: 'liar', title: 'a contender that is fast because it is wrong', unit: 'ops/s', rounds: 2, baseline: 'honest',
  contenders: [
    { name: 'honest', measure: () => opsPerSecond(() => 0, 10), check: () => {} },
    { name: 'wrong', measure: () => opsPerSecond(() => 0, 10), check: () => { throw new Error('expected 200, got 404') } },
  ],
})
`,
    )
    await expect(runSuite(file, { seed: 1 })).rejects.toThrow(/liar \(seed 1\) exited with 1/)
  })
})

describe('measure', () => {
  it('stops concurrent loops whose calls never do I/O, and records the window', async () => {
    const { concurrentOpsPerSecond, takeWindow } = await import('../src/measure.ts')
    const rate = await concurrentOpsPerSecond(async () => 1, 10, 50)
    expect(rate).toBeGreaterThan(0)
    const window = takeWindow()
    expect(window?.ops).toBeGreaterThan(0)
    expect(window?.cpuUs).toBeGreaterThan(0)
    expect(takeWindow()).toBeUndefined()
  })
})

describe('README figures', () => {
  it('regenerates the Benchmarks section of a package README from a result, idempotently', async () => {
    const { updateReadmeFigures } = await import('../src/readme.ts')
    const root = await mkdtemp(join(tmpdir(), 'hp-bench-readme-'))
    try {
      const { mkdir } = await import('node:fs/promises')
      await mkdir(join(root, 'packages', 'tiny'), { recursive: true })
      const readme = join(root, 'packages', 'tiny', 'README.md')
      await writeFile(
        readme,
        '# tiny\n\n## Benchmarks\n\nWhat the suite measures.\n\n| old | table |\n| 1 | 2 |\n\n## Errors\n\nnone\n',
      )
      const result = {
        suite: 'tiny',
        title: 't',
        node: 'v24',
        cpu: 'cpu',
        date: 'd',
        rounds: 3,
        seed: 5,
        command: 'HOTPATH_BENCH_SEED=5 pnpm bench tiny',
        results: [],
        targets: [{ name: 'a', vs: 'b', atLeast: 2, ratio: 3, ratioQ1: 2.5, ratioQ3: 3.5, pass: true }],
      }
      await updateReadmeFigures(root, result)
      const once = await readFile(readme, 'utf8')
      expect(once).toContain('What the suite measures.')
      expect(once).not.toContain('| old | table |')
      expect(once).toContain('| a vs b | >= 2x | 3.00x (2.50x–3.50x) | pass |')
      expect(once).toContain('## Errors\n\nnone')
      await updateReadmeFigures(root, { ...result, targets: [{ ...result.targets[0]!, ratio: 4 }] })
      const twice = await readFile(readme, 'utf8')
      expect(twice).toContain('4.00x')
      expect(twice.match(/bench:start/g)).toHaveLength(1)
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })
})
