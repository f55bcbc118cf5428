// Drives the RFC 9111 conformance run (http-tests/cache-tests): one worker process per setup (worker.mjs, each with
// its own origin server on a free 127.0.0.1 port), run concurrently; compares the outcome with expected.json.
//   node test/conformance/harness.ts            all setups, prints the README table and the differences
//   node test/conformance/harness.ts --update   runs all setups CONFORMANCE_RUNS times (default 3) and rewrites
//                                               expected.json: a test whose status differed between runs, or from
//                                               the file's previous status, is 'flaky' (CONFORMANCE_FRESH=1: ignore
//                                               the previous file)
import { fork } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export type Status = 'pass' | 'fail' | 'skip'
/** In expected.json: 'flaky' = the status differed between the runs that wrote the file (never a regression). */
export type ExpectedStatus = Status | 'flaky'
export type Kind = 'required' | 'optimal' | 'check'
export interface TestOutcome {
  kind: Kind
  status: Status
  reason?: string
}
export interface SetupRun {
  setup: string
  ms: number
  results: Record<string, TestOutcome>
}
/** setup -> test id -> status, as committed. */
export type Expected = Record<string, Record<string, ExpectedStatus>>

export const ALL_SETUPS: readonly string[] = [
  'undici-memory-shared',
  'undici-memory-private',
  'ours-memory-shared',
  'ours-memory-private',
  'ours-redis-shared',
  'ours-redis-private',
  'client-defaults',
]
/** The default `pnpm test` run (the rest with CONFORMANCE_ALL=1). */
export const DEFAULT_SETUPS: readonly string[] = [
  'undici-memory-shared',
  'ours-memory-shared',
  'ours-redis-shared',
  'client-defaults',
]

const workerPath = fileURLToPath(new URL('./worker.mjs', import.meta.url))
export const expectedPath: string = fileURLToPath(new URL('./expected.json', import.meta.url))

/** Runs one setup in a worker process; rejects with the worker's last output when it dies without results. */
export function runSetup(setup: string): Promise<SetupRun> {
  return new Promise((resolve, reject) => {
    const child = fork(workerPath, [], {
      env: { ...process.env, CONFORMANCE_SETUP: setup },
      execArgv: [], // not the test runner's loader flags: the worker is plain Node (it strips the types of src/)
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    })
    let tail = ''
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString('utf8')).slice(-4000)
    }
    child.stdout?.on('data', keep) // the suite's server logs warnings there
    child.stderr?.on('data', keep)
    let run: SetupRun | undefined
    child.on('message', (m) => {
      run = m as SetupRun
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (run !== undefined) resolve(run)
      else
        reject(new Error(`conformance worker ${setup} exited (${code ?? signal}) without results:\n${tail}`))
    })
  })
}

export function runSetups(setups: readonly string[]): Promise<SetupRun[]> {
  return Promise.all(setups.map(runSetup))
}

export function readExpected(): Expected {
  return JSON.parse(readFileSync(expectedPath, 'utf8')) as Expected
}

export interface Comparison {
  /** Tests that pass in expected.json and do not pass now. */
  regressions: { id: string; status: Status; reason?: string }[]
  /** Tests that pass now and did not in expected.json. */
  improvements: string[]
}

export function compare(run: SetupRun, expected: Record<string, ExpectedStatus> | undefined): Comparison {
  const regressions: Comparison['regressions'] = []
  const improvements: string[] = []
  for (const [id, was] of Object.entries(expected ?? {})) {
    const now = run.results[id]
    if (was === 'pass' && now?.status !== 'pass') {
      regressions.push({ id, status: now?.status ?? 'skip', reason: now?.reason ?? 'not run' })
    }
  }
  for (const [id, now] of Object.entries(run.results)) {
    if (now.status === 'pass' && expected?.[id] !== 'pass') improvements.push(id)
  }
  return { regressions, improvements }
}

export interface Figures {
  requiredPassed: number
  requiredFailed: number
  optionalPassed: number
  optionalFailed: number
  skipped: number
}

export function figures(run: SetupRun): Figures {
  const f: Figures = {
    requiredPassed: 0,
    requiredFailed: 0,
    optionalPassed: 0,
    optionalFailed: 0,
    skipped: 0,
  }
  for (const { kind, status } of Object.values(run.results)) {
    if (status === 'skip') f.skipped++
    else if (kind === 'required') status === 'pass' ? f.requiredPassed++ : f.requiredFailed++
    else status === 'pass' ? f.optionalPassed++ : f.optionalFailed++
  }
  return f
}

/** The README table. */
export function table(runs: readonly SetupRun[]): string {
  const rows = runs.map((r) => {
    const f = figures(r)
    return `| \`${r.setup}\` | ${f.requiredPassed} | ${f.requiredFailed} | ${f.optionalPassed} | ${f.optionalFailed} | ${f.skipped} |`
  })
  return [
    '| setup | required passed | required failed | optional/check passed | optional/check not passed | setup failed |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n')
}

/** Required tests the undici reference of the same mode passes and `run` does not. */
export function behindReference(run: SetupRun, reference: SetupRun): string[] {
  return Object.entries(reference.results)
    .filter(([id, r]) => r.kind === 'required' && r.status === 'pass' && run.results[id]?.status !== 'pass')
    .map(([id]) => id)
}

async function main(): Promise<void> {
  const update = process.argv.includes('--update')
  const rounds = update ? Number(process.env.CONFORMANCE_RUNS ?? 3) : 1
  const all: SetupRun[][] = []
  for (let i = 0; i < rounds; i++) {
    const started = performance.now()
    all.push(await runSetups(ALL_SETUPS))
    console.log(
      `run ${i + 1}/${rounds}: ${ALL_SETUPS.length} setups in ${Math.round(performance.now() - started)} ms`,
    )
  }
  const runs = all[0]!
  console.log(`\n${table(runs)}\n`)
  const expected = readExpectedOrEmpty()
  const byName = new Map(runs.map((r) => [r.setup, r]))
  for (const run of runs) {
    const mode = run.setup.endsWith('private') ? 'private' : 'shared'
    const reference = byName.get(`undici-memory-${mode}`)
    if (reference !== undefined && reference !== run) {
      for (const id of behindReference(run, reference)) {
        console.log(`${run.setup}: behind undici (${mode}): ${id}: ${run.results[id]?.reason ?? 'not run'}`)
      }
    }
    const { regressions, improvements } = compare(run, expected[run.setup])
    for (const r of regressions) console.log(`${run.setup}: REGRESSION ${r.id}: ${r.reason}`)
    if (improvements.length > 0)
      console.log(`${run.setup}: ${improvements.length} passing now that did not before`)
    console.log(`${run.setup}: ${run.ms} ms`)
  }
  if (update) {
    const out: Expected = {}
    for (const run of runs) {
      const others = all.slice(1).map((round) => round.find((r) => r.setup === run.setup)!)
      const entries = Object.entries(run.results).map(([id, r]): [string, ExpectedStatus] => {
        const before = expected[run.setup]?.[id]
        const flaky =
          others.some((o) => o.results[id]?.status !== r.status) ||
          (process.env.CONFORMANCE_FRESH !== '1' && before !== undefined && before !== r.status)
        if (flaky) console.log(`${run.setup}: flaky ${id}`)
        return [id, flaky ? 'flaky' : r.status]
      })
      out[run.setup] = Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : 1)))
    }
    writeFileSync(expectedPath, `${JSON.stringify(out, null, 2)}\n`)
    console.log(`wrote ${expectedPath}`)
  }
}

function readExpectedOrEmpty(): Expected {
  try {
    return readExpected()
  } catch {
    return {}
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
