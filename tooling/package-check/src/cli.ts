#!/usr/bin/env node
// pnpm check:packages — pack, install alone, import, type-check and check every publishable package.
// `--only @hotpath/cache` (repeatable) checks just those.
// `--imports-only --node <path>` runs only the import step (all tarballs in one install) under that Node,
// e.g. the floor of engines.node (.ci/run does this with Node 22.20.0).
import { relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { checkPackage } from './check.ts'
import { run } from './exec.ts'
import { checkImportsOn } from './imports-on-node.ts'
import { readManifest } from './manifest.ts'
import { publishablePackages } from './workspace.ts'

const { values } = parseArgs({
  options: {
    root: { type: 'string', default: '.' },
    keep: { type: 'boolean' },
    only: { type: 'string', multiple: true },
    node: { type: 'string' },
    'imports-only': { type: 'boolean' },
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

let failed = 0
const selected = only.size > 0 ? packages.filter((p) => only.has(p.manifest.name)) : packages

if (values['imports-only']) {
  const version = (await run(node, ['-v'], root)).stdout.trim()
  const started = performance.now()
  const results = await checkImportsOn(node, selected, { keep: values.keep ?? false })
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
  process.exit(failed === 0 ? 0 : 1)
}

for (const pkg of selected) {
  const started = performance.now()
  const result = await checkPackage(pkg, {
    siblings: packages,
    keep: values.keep ?? false,
    nodeFloor,
    directory: relative(root, pkg.dir),
    node,
  })
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  if (result.problems.length === 0) {
    console.log(`ok   ${result.name} (${result.installed.length} installed packages, ${seconds}s)`)
  } else {
    failed++
    console.log(`FAIL ${result.name} (${seconds}s)`)
    for (const problem of result.problems) console.log(`     - ${problem}`)
  }
}
console.log(`check:packages: ${selected.length - failed} of ${selected.length} packages clean`)
process.exit(failed === 0 ? 0 : 1)
