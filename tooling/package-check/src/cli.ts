#!/usr/bin/env node
// pnpm check:packages — pack, install alone, import, type-check and check every publishable package.
// `--only @hotpath/cache` (repeatable) checks just those.
// `--report <file>` writes a Vitest-like JSON summary (one "test" per package) that .ci/run's closing line counts.
// `--imports-only --node <path>` runs only the import step (all tarballs in one install) under that Node,
// e.g. the floor of engines.node (.ci/run does this with Node 22.20.0).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { checkPackage, pack } from './check.ts'
import { run } from './exec.ts'
import { checkImportsOn } from './imports-on-node.ts'
import { readManifest } from './manifest.ts'
import { publishablePackages, type WorkspacePackage } from './workspace.ts'

const { values } = parseArgs({
  options: {
    root: { type: 'string', default: '.' },
    keep: { type: 'boolean' },
    only: { type: 'string', multiple: true },
    node: { type: 'string' },
    'imports-only': { type: 'boolean' },
    concurrency: { type: 'string', default: '2' },
    report: { type: 'string' },
  },
})
const root = resolve(values.root ?? '.')
const packages = await publishablePackages(root)
const only = new Set(values.only ?? [])
const node = values.node ? resolve(values.node) : process.execPath

if (packages.length === 0) {
  console.log('check:packages: zero publishable packages in this workspace; nothing to check yet')
  process.exit(0)
}

// Turbo builds what this package depends on before it runs: every publishable package must be listed.
const self = await readManifest(new URL('..', import.meta.url).pathname)
const listed = new Set(Object.keys({ ...self.dependencies, ...self.devDependencies }))
const unlisted = packages.filter((p) => !listed.has(p.manifest.name)).map((p) => p.manifest.name)
if (unlisted.length > 0) {
  console.error(
    `check:packages: add ${unlisted.join(', ')} to tooling/package-check devDependencies ("workspace:*") so Turbo builds them first`,
  )
  process.exit(1)
}

const nodeFloor = (await readManifest(root)).engines?.node
if (!nodeFloor) {
  console.error(
    'check:packages: the root package.json has no engines.node (the floor every package must declare)',
  )
  process.exit(1)
}

/** One "test" per package, in the shape of Vitest's JSON report that tooling/scripts/test-summary.ts totals. */
async function report(passed: number, failedCount: number): Promise<void> {
  if (!values.report) return
  await writeFile(
    resolve(values.report),
    JSON.stringify({
      numTotalTests: passed + failedCount,
      numPassedTests: passed,
      numFailedTests: failedCount,
    }),
  )
}

let failed = 0
const selected = only.size > 0 ? packages.filter((p) => only.has(p.manifest.name)) : packages

if (values['imports-only']) {
  const version = (await run(node, ['-v'], root)).stdout.trim()
  const started = performance.now()
  const results = await checkImportsOn(node, selected, { keep: values.keep ?? false, siblings: packages })
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  for (const result of results) {
    if (result.problems.length === 0) console.log(`ok   ${result.name} imports under Node ${version}`)
    else {
      failed++
      console.log(`FAIL ${result.name} under Node ${version}`)
      for (const problem of result.problems) console.log(`     - ${problem}`)
    }
  }
  console.log(
    `check:packages --imports-only: ${results.length - failed} of ${results.length} packages import under Node ${version} (${seconds}s)`,
  )
  await report(results.length - failed, failed)
  process.exit(failed === 0 ? 0 : 1)
}

// Each package is packed once (into its own folder: pnpm pack names tarballs alike), whichever checks need it.
const packDir = await mkdtemp(join(tmpdir(), 'hp-pkgcheck-packs-'))
const packed = new Map<string, Promise<string>>()
let packing: Promise<unknown> = Promise.resolve()
for (const pkg of packages) {
  const dest = join(packDir, String(packed.size))
  const tarball = packing.then(async () => {
    await mkdir(dest)
    return pack(pkg, dest)
  })
  packing = tarball.catch(() => undefined)
  packed.set(pkg.manifest.name, tarball)
}

// Packages are checked a few at a time (each mostly waits on pnpm pack, npm install and tsc); output keeps their order.
const concurrency = Math.max(1, Number(values.concurrency) || 1)
const outcomes = selected.map(() => Promise.withResolvers<string[]>())
let next = 0
async function worker(): Promise<void> {
  while (next < selected.length) {
    const index = next++
    const pkg = selected[index] as WorkspacePackage
    const started = performance.now()
    const result = await checkPackage(pkg, {
      siblings: packages,
      keep: values.keep ?? false,
      nodeFloor,
      directory: relative(root, pkg.dir),
      node,
      packed,
    }).catch((error: unknown) => ({ name: pkg.manifest.name, problems: [String(error)], installed: [] }))
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    outcomes[index]?.resolve(
      result.problems.length === 0
        ? [`ok   ${result.name} (${result.installed.length} installed packages, ${seconds}s)`]
        : [`FAIL ${result.name} (${seconds}s)`, ...result.problems.map((p) => `     - ${p}`)],
    )
  }
}
const workers = Array.from({ length: Math.min(concurrency, selected.length) }, () => worker())
for (const outcome of outcomes) {
  const lines = await outcome.promise
  if (lines[0]?.startsWith('FAIL')) failed++
  for (const line of lines) console.log(line)
}
await Promise.all(workers)
if (!values.keep) await rm(packDir, { recursive: true, force: true })
console.log(`check:packages: ${selected.length - failed} of ${selected.length} packages clean`)
await report(selected.length - failed, failed)
process.exit(failed === 0 ? 0 : 1)
