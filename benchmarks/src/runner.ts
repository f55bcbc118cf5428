import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { evaluateTargets, summarize } from './stats.ts'
import type { Suite, SuiteResult } from './suite.ts'

const childScript = new URL('./child.ts', import.meta.url).pathname

/** Runs a suite file in a child process (fresh heap, --expose-gc) and returns its summarized result. */
export async function runSuite(suitePath: string, timeoutMs = 15 * 60_000): Promise<SuiteResult> {
  const suite = (await import(pathToFileURL(suitePath).href)).default as Suite
  const tmp = await mkdtemp(join(tmpdir(), 'hp-bench-'))
  const out = join(tmp, 'samples.json')
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['--expose-gc', childScript, suitePath, out], {
        stdio: 'inherit',
      })
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
      child.once('error', reject)
      child.once('exit', (code, signal) => {
        clearTimeout(timer)
        if (code === 0) resolve()
        else reject(new Error(`suite ${suite.name} exited with ${signal ?? code}`))
      })
    })
    const raw = JSON.parse(await readFile(out, 'utf8')) as {
      rounds: number
      samples: Record<string, number[]>
    }
    const rows = summarize(suite, new Map(Object.entries(raw.samples)))
    return {
      suite: suite.name,
      title: suite.title,
      node: process.version,
      cpu: `${cpus()[0]?.model ?? 'unknown cpu'} x${cpus().length}`,
      date: new Date().toISOString(),
      rounds: raw.rounds,
      results: rows,
      targets: evaluateTargets(suite.targets ?? [], rows),
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
