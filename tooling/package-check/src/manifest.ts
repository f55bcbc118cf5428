import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

export interface Manifest {
  name: string
  version: string
  private?: boolean
  type?: string
  exports?: string | Record<string, unknown>
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
  devDependencies?: Record<string, string>
  bundleDependencies?: string[] | boolean
  bundledDependencies?: string[] | boolean
}

export async function readManifest(dir: string): Promise<Manifest> {
  return JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Manifest
}

/** Runtime dependencies a consumer gets: dependencies, optional ones, and peers that are not optional. */
export function runtimeDependencies(manifest: Manifest): string[] {
  const peers = Object.keys(manifest.peerDependencies ?? {}).filter(
    (name) => !manifest.peerDependenciesMeta?.[name]?.optional,
  )
  return [
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
    ...peers,
  ]
}

/** Everything the package may import at run time: runtime deps plus optional peers. */
export function importableDependencies(manifest: Manifest): Set<string> {
  return new Set([
    ...runtimeDependencies(manifest),
    ...Object.keys(manifest.peerDependencies ?? {}),
    manifest.name,
  ])
}

export interface ExportTarget {
  subpath: string
  types?: string
  default?: string
}

/** Flattens an `exports` map into subpath -> { types, default } (conditions `import` and `default`). */
export function exportTargets(manifest: Manifest): ExportTarget[] {
  const exp = manifest.exports
  if (exp === undefined) return []
  if (typeof exp === 'string') return [{ subpath: '.', default: exp }]
  const entries = Object.keys(exp).every((k) => k.startsWith('.'))
    ? Object.entries(exp)
    : [['.', exp] as const]
  return entries
    .filter(([subpath]) => subpath !== './package.json')
    .map(([subpath, target]) => {
      if (typeof target === 'string') return { subpath, default: target }
      const t = target as Record<string, unknown>
      const imp = (typeof t.import === 'object' && t.import ? t.import : t) as Record<string, unknown>
      const pick = (v: unknown) => (typeof v === 'string' ? v : undefined)
      return {
        subpath,
        types: pick(imp.types) ?? pick(t.types),
        default: pick(imp.default) ?? pick(t.default),
      }
    })
}
