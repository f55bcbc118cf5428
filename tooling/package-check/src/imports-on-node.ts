import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { importProblems, internalClosure, lastLines, pack } from './check.ts'
import { run } from './exec.ts'
import { exportTargets, readManifest } from './manifest.ts'
import type { WorkspacePackage } from './workspace.ts'

export interface ImportResult {
  name: string
  problems: string[]
}

/**
 * The import step alone, under another Node (the floor of `engines.node`): packs every package, installs
 * all tarballs together into one fresh npm project, and `import()`s every export with `node`. One install
 * instead of one per package keeps it quick; the isolated installs are the full check's job.
 */
export async function checkImportsOn(
  node: string,
  packages: WorkspacePackage[],
  options: { keep?: boolean; siblings?: WorkspacePackage[] } = {},
): Promise<ImportResult[]> {
  const work = await mkdtemp(join(tmpdir(), 'hp-pkgimports-'))
  try {
    const tarballs = join(work, 'tarballs')
    const app = join(work, 'app')
    await mkdir(tarballs)
    await mkdir(app)
    const files: string[] = []
    // The selected packages plus the internal ones they need (not on the registry), each packed once.
    const toPack = new Map(packages.map((p) => [p.manifest.name, p]))
    for (const pkg of packages)
      for (const dep of internalClosure(pkg, options.siblings ?? [])) toPack.set(dep.manifest.name, dep)
    for (const pkg of toPack.values()) files.push(await pack(pkg, tarballs))
    await writeFile(
      join(app, 'package.json'),
      JSON.stringify({ name: 'hp-imports-app', private: true, type: 'module' }),
    )
    const install = await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel=error', '--ignore-scripts', ...files],
      app,
    )
    if (install.code !== 0) {
      const problem = `npm install of the tarballs failed: ${lastLines(install.stderr)}`
      return packages.map((p) => ({ name: p.manifest.name, problems: [problem] }))
    }
    const results: ImportResult[] = []
    for (const pkg of packages) {
      const name = pkg.manifest.name
      const manifest = await readManifest(join(app, 'node_modules', ...name.split('/')))
      results.push({ name, problems: await importProblems(app, name, exportTargets(manifest), node) })
    }
    return results
  } finally {
    if (!options.keep) await rm(work, { recursive: true, force: true })
  }
}
