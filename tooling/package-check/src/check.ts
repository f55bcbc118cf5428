import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { run } from './exec.ts'
import { installedPackages, readSources } from './files.ts'
import { bundledDependencyMarkers, importedPackages } from './imports.ts'
import {
  exportTargets,
  importableDependencies,
  type Manifest,
  readManifest,
  runtimeDependencies,
} from './manifest.ts'
import { internalImportViolation, isHeavy } from './rules.ts'
import type { WorkspacePackage } from './workspace.ts'

export interface CheckResult {
  name: string
  problems: string[]
  /** Packages npm installed next to the checked one (the whole tree of a fresh install). */
  installed: string[]
}

export interface CheckOptions {
  /** Other workspace packages, so internal dependencies can be packed alongside. */
  siblings?: WorkspacePackage[]
  /** Keep the temporary project (for debugging). */
  keep?: boolean
}

const require = createRequire(import.meta.url)

function tscPath(): string {
  return join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc')
}

/** Internal dependencies (transitively) that must be packed with `pkg`, since they are not on the registry. */
function internalClosure(pkg: WorkspacePackage, siblings: WorkspacePackage[]): WorkspacePackage[] {
  const byName = new Map(siblings.map((s) => [s.manifest.name, s]))
  const seen = new Map<string, WorkspacePackage>()
  const visit = (p: WorkspacePackage) => {
    for (const dep of runtimeDependencies(p.manifest)) {
      const sibling = byName.get(dep)
      if (sibling && !seen.has(dep)) {
        seen.set(dep, sibling)
        visit(sibling)
      }
    }
  }
  visit(pkg)
  return [...seen.values()]
}

async function pack(pkg: WorkspacePackage, dest: string): Promise<string> {
  const before = new Set(await readdir(dest))
  const result = await run('pnpm', ['pack', '--pack-destination', dest], pkg.dir)
  if (result.code !== 0) throw new Error(`pnpm pack failed for ${pkg.manifest.name}: ${result.stderr.trim()}`)
  const created = (await readdir(dest)).find((f) => f.endsWith('.tgz') && !before.has(f))
  if (!created) throw new Error(`pnpm pack produced no tarball for ${pkg.manifest.name}`)
  return join(dest, created)
}

/** Packages reachable from `roots` through installed manifests: what a consumer legitimately gets. */
async function declaredClosure(roots: string[], installed: Map<string, string>): Promise<Set<string>> {
  const reached = new Set<string>()
  const queue = [...roots]
  while (queue.length > 0) {
    const name = queue.shift() as string
    if (reached.has(name)) continue
    reached.add(name)
    const dir = installed.get(name)
    if (!dir) continue
    const manifest = await readManifest(dir).catch(() => undefined)
    if (manifest) queue.push(...runtimeDependencies(manifest))
  }
  return reached
}

function typeCheckSource(name: string, subpaths: string[]): string {
  return subpaths
    .map((sub, i) => {
      const spec = sub === '.' ? name : `${name}/${sub.slice(2)}`
      return `import type * as m${i} from '${spec}'\nexport type { m${i} }\n`
    })
    .join('')
}

/**
 * Packs one package, installs the tarball alone (with its internal siblings) into a fresh
 * npm project, and reports every way it would surprise a user who installs it.
 */
export async function checkPackage(pkg: WorkspacePackage, options: CheckOptions = {}): Promise<CheckResult> {
  const name = pkg.manifest.name
  const problems: string[] = []
  const work = await mkdtemp(join(tmpdir(), 'hp-pkgcheck-'))
  try {
    const tarballs = join(work, 'tarballs')
    const app = join(work, 'app')
    await mkdir(tarballs)
    await mkdir(app)
    const internal = internalClosure(pkg, options.siblings ?? [])
    const files = [await pack(pkg, tarballs)]
    for (const dep of internal) files.push(await pack(dep, tarballs))

    await writeFile(
      join(app, 'package.json'),
      JSON.stringify({ name: 'hp-check-app', private: true, type: 'module' }),
    )
    const install = await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel=error', '--ignore-scripts', ...files],
      app,
    )
    if (install.code !== 0) {
      return {
        name,
        problems: [`npm install of the tarball failed: ${install.stderr.trim()}`],
        installed: [],
      }
    }

    const nodeModules = join(app, 'node_modules')
    const installedDir = join(nodeModules, ...name.split('/'))
    const manifest: Manifest = await readManifest(installedDir)

    // (a) exports resolve, with types, and import under Node.
    const targets = exportTargets(manifest)
    if (targets.length === 0) problems.push('package.json has no "exports" map')
    for (const target of targets) {
      if (!target.types) problems.push(`exports["${target.subpath}"] has no "types" condition`)
      else if (!existsSync(join(installedDir, target.types)))
        problems.push(`exports["${target.subpath}"].types points at missing ${target.types}`)
      if (!target.default) problems.push(`exports["${target.subpath}"] has no "default"/"import" target`)
      else if (!existsSync(join(installedDir, target.default)))
        problems.push(`exports["${target.subpath}"] points at missing ${target.default}`)
      const spec = target.subpath === '.' ? name : `${name}/${target.subpath.slice(2)}`
      const imported = await run(
        process.execPath,
        ['--input-type=module', '-e', `await import(${JSON.stringify(spec)})`],
        app,
      )
      if (imported.code !== 0)
        problems.push(`import('${spec}') fails under Node: ${lastLines(imported.stderr)}`)
    }
    if (targets.length > 0) {
      await writeFile(
        join(app, 'types-check.ts'),
        typeCheckSource(
          name,
          targets.map((t) => t.subpath),
        ),
      )
      await writeFile(
        join(app, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module: 'nodenext',
            moduleResolution: 'nodenext',
            target: 'es2022',
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            types: [],
          },
          files: ['types-check.ts'],
        }),
      )
      const tsc = await run(process.execPath, [tscPath(), '-p', 'tsconfig.json'], app)
      if (tsc.code !== 0)
        problems.push(`types do not resolve through "exports": ${lastLines(tsc.stdout + tsc.stderr)}`)
    }

    // (b) the installed tree holds only what is declared.
    const installed = await installedPackages(nodeModules)
    const internalNames = internal.map((d) => d.manifest.name)
    const closure = await declaredClosure([name, ...internalNames], installed)
    for (const other of installed.keys()) {
      if (!closure.has(other)) problems.push(`installs ${other}, which no declared dependency asks for`)
    }
    const declaredHere = [
      ...runtimeDependencies(manifest),
      ...internal.flatMap((d) => runtimeDependencies(d.manifest)),
    ]
    const heavyAllowed = await declaredClosure(declaredHere.filter(isHeavy), installed)
    for (const other of installed.keys()) {
      if (isHeavy(other) && !heavyAllowed.has(other)) problems.push(`installing ${name} brings ${other}`)
    }

    // Shipped code imports only what it declares, and inlines no dependency.
    const importable = importableDependencies(manifest)
    for (const file of await readSources(installedDir)) {
      if (file.path.endsWith('.d.ts') || file.path.endsWith('.d.mts')) continue
      for (const dep of importedPackages(file.text)) {
        if (!importable.has(dep))
          problems.push(`${file.path} imports ${dep}, which package.json does not declare`)
      }
      for (const bundled of new Set(bundledDependencyMarkers(file.text))) {
        problems.push(`${file.path} bundles code of ${bundled} instead of depending on it`)
      }
    }

    // (c) the dependency rules of ARCHITECTURE.md, on shipped code and on the sources.
    const sources = [...(await readSources(installedDir)), ...(await readSources(join(pkg.dir, 'src')))]
    for (const file of sources) {
      for (const dep of importedPackages(file.text)) {
        if (!dep.startsWith('@hotpath/')) continue
        const violation = internalImportViolation(name, dep)
        if (violation) problems.push(`${file.path}: ${violation}`)
      }
    }
    return { name, problems: [...new Set(problems)], installed: [...installed.keys()].sort() }
  } finally {
    if (!options.keep) await rm(work, { recursive: true, force: true })
  }
}

function lastLines(text: string, count = 6): string {
  return text.trim().split('\n').slice(-count).join(' | ')
}
