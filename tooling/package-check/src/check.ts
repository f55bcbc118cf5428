import { existsSync, realpathSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { run } from './exec.ts'
import { installedPackages, readSources } from './files.ts'
import { bundledDependencyMarkers, importedPackages, runtimeImportedPackages } from './imports.ts'
import {
  type ExportTarget,
  exportTargets,
  importableDependencies,
  type Manifest,
  metadataProblems,
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
  /** `engines.node` the manifest must declare (the root package.json's floor). */
  nodeFloor?: string
  /** Folder of the package relative to the repository root, which `repository.directory` must name. */
  directory?: string
  /** Node binary that runs the `import()` of every export (default: the Node running the check). */
  node?: string
  /** Type-check the exports (default true). The CLI always does; tests of other checks may skip it. */
  types?: boolean
  /** Tarballs packed beforehand, by package name (the CLI packs each package once for all checks). */
  packed?: ReadonlyMap<string, Promise<string>>
}

/** The two ways a consumer's TypeScript resolves our packages; both must type-check, lib files included. */
export const typeCheckModes: ReadonlyArray<{ name: string; compilerOptions: Record<string, unknown> }> = [
  { name: 'nodenext', compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' } },
  { name: 'bundler', compilerOptions: { module: 'esnext', moduleResolution: 'bundler' } },
]

const require = createRequire(import.meta.url)

function tscPath(): string {
  return join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc')
}

/** The workspace's @types/node, linked into the check project so `skipLibCheck: false` can resolve `node:*`. */
function typesNodeDir(): string {
  return realpathSync(dirname(require.resolve('@types/node/package.json')))
}

/** Internal dependencies (transitively) that must be packed with `pkg`, since they are not on the registry. */
export function internalClosure(pkg: WorkspacePackage, siblings: WorkspacePackage[]): WorkspacePackage[] {
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

export async function pack(pkg: WorkspacePackage, dest: string): Promise<string> {
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
    const packOnce = (p: WorkspacePackage) => options.packed?.get(p.manifest.name) ?? pack(p, tarballs)
    const files = [await packOnce(pkg)]
    for (const dep of internal) files.push(await packOnce(dep))

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
    const installed = await installedPackages(nodeModules)

    // (a) the manifest a registry page and a consumer's tooling read, and the LICENSE next to it.
    problems.push(
      ...metadataProblems(manifest, { nodeFloor: options.nodeFloor, directory: options.directory }),
    )
    if (!['LICENSE', 'LICENSE.md', 'LICENSE.txt'].some((f) => existsSync(join(installedDir, f))))
      problems.push('the tarball has no LICENSE file')

    // (b) exports resolve, with types, and import under Node.
    const targets = exportTargets(manifest)
    if (targets.length === 0) problems.push('package.json has no "exports" map')
    for (const target of targets) {
      if (!target.types) problems.push(`exports["${target.subpath}"] has no "types" condition`)
      else if (!existsSync(join(installedDir, target.types)))
        problems.push(`exports["${target.subpath}"].types points at missing ${target.types}`)
      if (!target.default) problems.push(`exports["${target.subpath}"] has no "default"/"import" target`)
      else if (!existsSync(join(installedDir, target.default)))
        problems.push(`exports["${target.subpath}"] points at missing ${target.default}`)
    }
    problems.push(...(await importProblems(app, name, targets, options.node ?? process.execPath)))

    // (c) the installed tree holds only what is declared (read before @types/node is linked in below).
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

    // (d) the types of every export check as a consumer compiles them: nodenext and bundler, lib files included.
    if (targets.length > 0 && options.types !== false) {
      await writeFile(
        join(app, 'types-check.ts'),
        typeCheckSource(
          name,
          targets.map((t) => t.subpath),
        ),
      )
      await mkdir(join(nodeModules, '@types'), { recursive: true })
      if (!existsSync(join(nodeModules, '@types', 'node')))
        await symlink(typesNodeDir(), join(nodeModules, '@types', 'node'), 'dir')
      // Both modes at once: each is a separate tsc process, mostly waiting on lib files.
      const outcomes = await Promise.all(
        typeCheckModes.map(async (mode) => {
          const config = `tsconfig.${mode.name}.json`
          await writeFile(
            join(app, config),
            JSON.stringify({
              compilerOptions: {
                ...mode.compilerOptions,
                target: 'es2023',
                strict: true,
                noEmit: true,
                skipLibCheck: false,
                types: ['node'],
              },
              files: ['types-check.ts'],
            }),
          )
          return { mode, tsc: await run(process.execPath, [tscPath(), '-p', config], app) }
        }),
      )
      for (const { mode, tsc } of outcomes) {
        if (tsc.code !== 0)
          problems.push(
            `types do not check (moduleResolution ${mode.name}, skipLibCheck false): ${lastLines(tsc.stdout + tsc.stderr)}`,
          )
      }
    }

    // (e) shipped code imports only what it declares, and inlines no dependency; shipped types
    // reference only packages it declares (a consumer's compiler must find them).
    const importable = importableDependencies(manifest)
    const shipped = await readSources(installedDir)
    for (const file of shipped) {
      const isTypes = /\.d\.[cm]?ts$/.test(file.path)
      for (const dep of importedPackages(file.text)) {
        if (importable.has(dep)) continue
        problems.push(
          isTypes
            ? `${file.path} references ${dep}, which package.json does not declare`
            : `${file.path} imports ${dep}, which package.json does not declare`,
        )
      }
      if (isTypes) continue
      for (const bundled of new Set(bundledDependencyMarkers(file.text))) {
        problems.push(`${file.path} bundles code of ${bundled} instead of depending on it`)
      }
    }

    // (f) the dependency arrows of docs/architecture.md, on shipped JS and on the sources' run-time imports.
    // Type-only statements in src (`import type ... from '@hotpath/x'`) are erased from the JS and create no
    // arrow; what survives into the shipped .d.ts is held to the declared dependencies in (e).
    const arrowFiles = [
      ...shipped
        .filter((f) => !/\.d\.[cm]?ts$/.test(f.path))
        .map((f) => ({ path: f.path, deps: importedPackages(f.text) })),
      ...(await readSources(join(pkg.dir, 'src'))).map((f) => ({
        path: `src/${f.path}`,
        deps: runtimeImportedPackages(f.text),
      })),
    ]
    for (const file of arrowFiles) {
      for (const dep of file.deps) {
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

/** `import()` of every export under `node`, from inside the project `app` where the tarball is installed. */
export async function importProblems(
  app: string,
  name: string,
  targets: ExportTarget[],
  node: string,
): Promise<string[]> {
  const problems: string[] = []
  for (const target of targets) {
    const spec = target.subpath === '.' ? name : `${name}/${target.subpath.slice(2)}`
    const imported = await run(
      node,
      ['--input-type=module', '-e', `await import(${JSON.stringify(spec)})`],
      app,
    )
    if (imported.code !== 0)
      problems.push(
        `import('${spec}') fails under Node ${await nodeVersion(node)}: ${errorLines(imported.stderr)}`,
      )
  }
  return problems
}

const versions = new Map<string, string>()
async function nodeVersion(node: string): Promise<string> {
  if (!versions.has(node)) versions.set(node, (await run(node, ['-v'], '.')).stdout.trim())
  return versions.get(node) ?? ''
}

/** The thrown error of a Node stderr (`TypeError: ...`, `Error [ERR_X]: ...`), else its last lines. */
export function errorLines(stderr: string): string {
  const lines = stderr.trim().split('\n')
  const at = lines.findIndex((l) => /^(?:[\w.]*Error|Error \[\w+\])\b/.test(l.trim()))
  return at === -1
    ? lastLines(stderr)
    : lines
        .slice(at, at + 3)
        .map((l) => l.trim())
        .join(' | ')
}

export function lastLines(text: string, count = 6): string {
  return text.trim().split('\n').slice(-count).join(' | ')
}
