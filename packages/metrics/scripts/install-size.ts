// What `npm i @hotpath/metrics` installs: packs this package and @hotpath/core as tooling/package-check does
// (`pnpm pack`, workspace: ranges rewritten), installs the tarballs into a fresh npm project and counts the
// packages and bytes under node_modules. Needs the registry (npm install). Build first.
//   node packages/metrics/scripts/install-size.ts [--with-otlp]
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '../../..')
const withOtlp = process.argv.includes('--with-otlp')
const work = mkdtempSync(join(tmpdir(), 'hp-install-size-'))

function pack(dir: string): string {
  const before = new Set(readdirSync(work))
  execFileSync('pnpm', ['pack', '--pack-destination', work], { cwd: dir, stdio: 'ignore' })
  const created = readdirSync(work).find((f) => f.endsWith('.tgz') && !before.has(f))
  if (created === undefined) throw new Error(`pnpm pack produced nothing in ${dir}`)
  return join(work, created)
}

function walk(dir: string): { bytes: number; packages: Set<string> } {
  let bytes = 0
  const packages = new Set<string>()
  const visit = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name)
      if (entry.isDirectory()) visit(p)
      else if (entry.isFile()) {
        bytes += statSync(p).size
        // a package: a package.json directly under node_modules/<name> or node_modules/@scope/<name>
        const m = /node_modules\/((?:@[^/]+\/)?[^/@][^/]*)\/package\.json$/.exec(p)
        if (m !== null) packages.add(p.slice(0, -'/package.json'.length))
      }
    }
  }
  visit(dir)
  return { bytes, packages }
}

try {
  const tarballs = [pack(join(root, 'packages/metrics')), pack(join(root, 'packages/core'))]
  const app = join(work, 'app')
  mkdirSync(app)
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'size-app', private: true, type: 'module' }),
  )
  const extra = withOtlp ? ['@opentelemetry/exporter-metrics-otlp-http@0.301.0'] : []
  execFileSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--loglevel=error', '--ignore-scripts', ...tarballs, ...extra],
    { cwd: app, stdio: 'inherit' },
  )
  const { bytes, packages } = walk(join(app, 'node_modules'))
  const names = [...packages].map((p) => p.slice(p.lastIndexOf('node_modules/') + 13)).sort()
  console.log(
    `npm i @hotpath/metrics${withOtlp ? ' + OTLP exporter' : ''}: ${packages.size} packages, ${(bytes / 1e6).toFixed(1)} MB (${bytes} bytes)`,
  )
  console.log(names.join('\n'))
} finally {
  rmSync(work, { recursive: true, force: true })
}
