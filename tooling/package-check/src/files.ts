import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'

/** Source-like files under `dir` (recursively), skipping node_modules. */
export async function sourceFiles(dir: string, pattern = /\.(?:[cm]?js|[cm]?ts)$/): Promise<string[]> {
  const out: string[] = []
  async function walk(current: string): Promise<void> {
    let entries: import('node:fs').Dirent[]
    try {
      entries = await readdir(current, { withFileTypes: true })
    } catch {
      return
    }
    for (const entry of entries) {
      if (entry.name === 'node_modules') continue
      const path = join(current, entry.name)
      if (entry.isDirectory()) await walk(path)
      else if (pattern.test(entry.name)) out.push(path)
    }
  }
  await walk(dir)
  return out.sort()
}

export async function readSources(dir: string): Promise<Array<{ path: string; text: string }>> {
  const files = await sourceFiles(dir)
  return Promise.all(
    files.map(async (path) => ({ path: relative(dir, path), text: await readFile(path, 'utf8') })),
  )
}

/** Names of every package installed under `nodeModules`, including nested and scoped ones. */
export async function installedPackages(nodeModules: string): Promise<Map<string, string>> {
  const found = new Map<string, string>()
  async function walk(dir: string): Promise<void> {
    let entries: import('node:fs').Dirent[]
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch {
      return
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue
      if (!entry.isDirectory() && !entry.isSymbolicLink()) continue
      if (entry.name.startsWith('@')) {
        for (const scoped of await readdir(join(dir, entry.name))) {
          const path = join(dir, entry.name, scoped)
          found.set(`${entry.name}/${scoped}`, path)
          await walk(join(path, 'node_modules'))
        }
      } else {
        const path = join(dir, entry.name)
        found.set(entry.name, path)
        await walk(join(path, 'node_modules'))
      }
    }
  }
  await walk(nodeModules)
  return found
}
