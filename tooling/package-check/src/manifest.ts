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
  license?: string
  repository?: string | { type?: string; url?: string; directory?: string }
  homepage?: string
  bugs?: string | { url?: string; email?: string }
  keywords?: string[]
  engines?: Record<string, string>
  files?: string[]
  publishConfig?: Record<string, unknown>
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

export interface MetadataExpectations {
  /** `engines.node` every published package must declare: the root package.json's (the house floor). */
  nodeFloor?: string
  /** The package's folder relative to the repository root, which `repository.directory` must name. */
  directory?: string
}

/** What a registry page and a consumer's tooling need from a published manifest, as problems. */
export function metadataProblems(manifest: Manifest, expect: MetadataExpectations = {}): string[] {
  const problems: string[] = []
  const missing = (field: string) => problems.push(`package.json has no "${field}"`)
  if (typeof manifest.license !== 'string' || manifest.license.trim() === '') missing('license')
  const repo = manifest.repository
  if (typeof repo !== 'object' || repo === null || typeof repo.url !== 'string' || repo.url === '')
    problems.push('package.json has no "repository" object with a "url"')
  else if (typeof repo.directory !== 'string' || repo.directory === '')
    problems.push('package.json "repository" has no "directory" (the package folder in the monorepo)')
  else if (expect.directory !== undefined && repo.directory !== expect.directory)
    problems.push(
      `package.json "repository.directory" is "${repo.directory}", expected "${expect.directory}"`,
    )
  if (typeof manifest.homepage !== 'string' || manifest.homepage === '') missing('homepage')
  const bugs = manifest.bugs
  if (!(typeof bugs === 'string' ? bugs : (bugs?.url ?? bugs?.email))) missing('bugs')
  if (!Array.isArray(manifest.keywords) || manifest.keywords.length === 0) missing('keywords')
  const engine = manifest.engines?.node
  if (typeof engine !== 'string') missing('engines.node')
  else if (expect.nodeFloor !== undefined && engine !== expect.nodeFloor)
    problems.push(
      `package.json "engines.node" is "${engine}", expected the house floor "${expect.nodeFloor}"`,
    )
  if (!Array.isArray(manifest.files) || manifest.files.length === 0) missing('files')
  if (manifest.name.startsWith('@') && manifest.publishConfig?.access !== 'public')
    problems.push(
      'package.json has no "publishConfig": { "access": "public" } (a scoped package is private by default)',
    )
  return problems
}
