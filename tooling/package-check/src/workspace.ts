import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { type Manifest, readManifest } from './manifest.ts'

export interface WorkspacePackage {
  dir: string
  manifest: Manifest
}

/** Publishable packages: every `packages/*` whose package.json is not private. */
export async function publishablePackages(root: string): Promise<WorkspacePackage[]> {
  const base = join(root, 'packages')
  let names: string[]
  try {
    names = (await readdir(base, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name)
  } catch {
    return []
  }
  const found: WorkspacePackage[] = []
  for (const name of names.sort()) {
    const dir = join(base, name)
    try {
      const manifest = await readManifest(dir)
      if (!manifest.private) found.push({ dir, manifest })
    } catch {
      // a folder without package.json is not a package
    }
  }
  return found
}
