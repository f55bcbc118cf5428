import { builtinModules } from 'node:module'

const builtins = new Set(builtinModules)

// Static imports/exports, dynamic import() and require() with a string literal.
const importPattern =
  /(?:^|[^\w$.])(?:import|export)\s*(?:type\s+)?(?:[\w$*{}\s,]+?\s*from\s*)?['"]([^'"]+)['"]|(?:^|[^\w$.])(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/gm

/** Every module specifier a JS/TS source text imports. */
export function importSpecifiers(source: string): string[] {
  const found: string[] = []
  for (const match of source.matchAll(importPattern)) {
    const spec = match[1] ?? match[2]
    if (spec) found.push(spec)
  }
  return found
}

/** `@scope/name/sub` -> `@scope/name`, `lodash/fp` -> `lodash`; undefined for relative paths and builtins. */
export function packageNameOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('#')) return undefined
  if (specifier.startsWith('node:') || builtins.has(specifier.split('/')[0] ?? '')) return undefined
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

/** Bare package names imported by a source text, deduplicated. */
export function importedPackages(source: string): string[] {
  const names = new Set<string>()
  for (const spec of importSpecifiers(source)) {
    const name = packageNameOf(spec)
    if (name) names.add(name)
  }
  return [...names].sort()
}

// Whole type-only statements: `import type ... from 'x'`, `export type ... from 'x'` (also `export type * from`).
// They are erased from the emitted JS, so they create no run-time arrow. `import { type A } from 'x'` is not
// one: under verbatimModuleSyntax it still emits `import {} from 'x'`, which loads the module.
const typeOnlyPattern = /(^|[^\w$.])(?:import|export)\s+type\s+(?!from\s)[^;'"]*?\bfrom\s*['"][^'"]+['"]/gm

/** The source text without its type-only import/export statements. */
export function withoutTypeOnlyImports(source: string): string {
  return source.replace(typeOnlyPattern, '$1')
}

/** Bare package names a source text imports at run time (type-only statements left out). */
export function runtimeImportedPackages(source: string): string[] {
  return importedPackages(withoutTypeOnlyImports(source))
}

/** Bundlers leave region markers with the original path when they inline a dependency. */
export function bundledDependencyMarkers(source: string): string[] {
  return [
    ...source.matchAll(/node_modules\/(?:\.pnpm\/[^/\s]+\/node_modules\/)?((?:@[^/\s]+\/)?[^/\s'"]+)/g),
  ].map((m) => m[1] ?? '')
}
