// Runs one suite inside its own process: interleaved rounds, raw samples written as JSON.
import { writeFile } from 'node:fs/promises'
import { pathToFileURL } from 'node:url'
import type { Suite } from './suite.ts'

const [suitePath, outPath] = process.argv.slice(2)
if (!suitePath || !outPath) throw new Error('usage: child.ts <suite-file> <out.json>')

const suite = (await import(pathToFileURL(suitePath).href)).default as Suite
const rounds = Number(process.env.HOTPATH_BENCH_ROUNDS) || suite.rounds || 5
const samples: Record<string, number[]> = {}
await suite.setup?.()
try {
  for (let round = 0; round < rounds; round++) {
    // Rotate the order each round so no contender always runs first (warm caches, GC debt).
    const order = suite.contenders.map((_, i) => suite.contenders[(i + round) % suite.contenders.length]!)
    for (const contender of order) {
      const value = await contender.measure()
      ;(samples[contender.name] ??= []).push(value)
      if (process.env.HOTPATH_BENCH_VERBOSE)
        console.error(`  round ${round + 1}/${rounds} ${contender.name}: ${value.toFixed(1)}`)
    }
  }
} finally {
  await suite.teardown?.()
}
await writeFile(outPath, JSON.stringify({ rounds, samples }))
process.exit(0)
