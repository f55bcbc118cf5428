// Runs one suite inside its own process: checks every contender, then rounds in a fresh seeded
// random order with a GC before each window, and writes the raw figures as JSON for the parent.
import { writeFile } from 'node:fs/promises'
import { pathToFileURL } from 'node:url'
import { takeWindow } from './measure.ts'
import { roundOrders } from './order.ts'
import type { RawRun, Suite } from './suite.ts'

const [suitePath, outPath, seedArg] = process.argv.slice(2)
if (!suitePath || !outPath) throw new Error('usage: child.ts <suite-file> <out.json> [seed]')

const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('the benchmark child needs node --expose-gc')

const suite = (await import(pathToFileURL(suitePath).href)).default as Suite
const rounds = Number(process.env.HOTPATH_BENCH_ROUNDS) || suite.rounds || 5
const seed = Number(seedArg) >>> 0
const byName = new Map(suite.contenders.map((c) => [c.name, c]))
const orders = roundOrders([...byName.keys()], rounds, seed)
const samples: Record<string, number[]> = {}
const cpuPerOp: Record<string, number[]> = {}
const cpuShare: Record<string, number[]> = {}

async function checkAll(when: string): Promise<void> {
  for (const c of suite.contenders) {
    try {
      await c.check?.()
    } catch (error) {
      throw new Error(`contender "${c.name}" failed its check ${when}: ${(error as Error).message}`, {
        cause: error,
      })
    }
  }
}

await suite.setup?.()
try {
  await checkAll('before the first round')
  for (let round = 0; round < rounds; round++) {
    for (const name of orders[round] as string[]) {
      const contender = byName.get(name)!
      gc()
      takeWindow()
      const value = await contender.measure()
      if (!Number.isFinite(value)) throw new Error(`contender "${name}" measured ${value}`)
      ;(samples[name] ??= []).push(value)
      const window = takeWindow()
      if (window && window.ops > 0) {
        ;(cpuPerOp[name] ??= []).push(window.cpuUs / window.ops)
        ;(cpuShare[name] ??= []).push(window.cpuUs / 1000 / window.wallMs)
      }
      if (process.env.HOTPATH_BENCH_VERBOSE)
        console.error(`  round ${round + 1}/${rounds} ${name}: ${value.toFixed(1)}`)
    }
  }
  await checkAll('after the last round')
} finally {
  await suite.teardown?.()
}

const raw: RawRun = {
  meta: {
    name: suite.name,
    title: suite.title,
    unit: suite.unit,
    ...(suite.better ? { better: suite.better } : {}),
    baseline: suite.baseline,
    contenders: suite.contenders.map(({ name, group, unit, better, config }) => ({
      name,
      group,
      unit,
      better,
      config,
    })),
    targets: suite.targets ?? [],
  },
  seed,
  rounds,
  orders,
  samples,
  cpuPerOp,
  cpuShare,
}
await writeFile(outPath, JSON.stringify(raw))
// Suites may leave clients or timers behind; the figures are written, so end here.
process.exit(0)
