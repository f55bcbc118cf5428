import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { evaluateTargets, summarize } from './stats.ts'
import type { RawRun, SuiteResult } from './suite.ts'

const childScript = new URL('./child.ts', import.meta.url).pathname

/**
 * Runs a suite file in a child process (fresh heap, --expose-gc) and summarizes what it reports.
 * The parent never imports suite code: a suite that opens clients at load cannot keep it alive.
 */
export async function runSuite(
  suitePath: string,
  options: { seed?: number; timeoutMs?: number } = {},
): Promise<SuiteResult> {
  const seed = (options.seed ?? (Number(process.env.HOTPATH_BENCH_SEED) || Date.now())) >>> 0
  const tmp = await mkdtemp(join(tmpdir(), 'hp-bench-'))
  const out = join(tmp, 'samples.json')
  const name = basename(suitePath).replace(/\.ts$/, '')
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['--expose-gc', childScript, suitePath, out, String(seed)], {
        stdio: 'inherit',
      })
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20 * 60_000)
      child.once('error', reject)
      child.once('exit', (code, signal) => {
        clearTimeout(timer)
        if (code === 0) resolve()
        else reject(new Error(`suite ${name} (seed ${seed}) exited with ${signal ?? code}`))
      })
    })
    const raw = JSON.parse(await readFile(out, 'utf8')) as RawRun
    const rows = summarize(raw)
    return {
      suite: raw.meta.name,
      title: raw.meta.title,
      node: process.version,
      cpu: `${cpus()[0]?.model ?? 'unknown cpu'} x${cpus().length}`,
      date: new Date().toISOString(),
      rounds: raw.rounds,
      seed: raw.seed,
      command: `HOTPATH_BENCH_SEED=${raw.seed} HOTPATH_BENCH_ROUNDS=${raw.rounds} pnpm bench ${raw.meta.name}`,
      results: rows,
      targets: evaluateTargets(raw.meta.targets, raw.samples),
    }
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
}

export async function saveResult(benchDir: string, result: SuiteResult): Promise<string> {
  await mkdir(join(benchDir, 'results'), { recursive: true })
  const path = join(benchDir, 'results', `${result.suite}.json`)
  await writeFile(path, `${JSON.stringify(result, null, 2)}\n`)
  return path
}
