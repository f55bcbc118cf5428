// The dependency arrows of docs/architecture.md, as data. A package missing here may import
// any @hotpath package except @hotpath/metrics.
export const allowedInternalImports: Readonly<Record<string, readonly string[]>> = {
  '@hotpath/core': [],
  '@hotpath/cache': ['@hotpath/core'],
  '@hotpath/http': ['@hotpath/core', '@hotpath/cache'],
  '@hotpath/db': ['@hotpath/core', '@hotpath/cache'],
  '@hotpath/metrics': ['@hotpath/core'],
  '@hotpath/load': ['@hotpath/core'],
}

/** Nobody imports the metrics package: it subscribes to diagnostics channels instead. */
export const neverImported: readonly string[] = ['@hotpath/metrics']

/**
 * Heavy clients that may only be present in a package's installed tree when that package declares
 * them, or one of them asks for them: installing @hotpath/cache must not bring these.
 */
export const heavyPackages: readonly (string | RegExp)[] = [
  'undici',
  'pg',
  'postgres',
  'better-sqlite3',
  'fastify',
  'hdr-histogram-js',
  'ioredis',
  '@keyv/redis',
  /^@opentelemetry\//,
  /^@redis\//,
]

export function internalImportViolation(importer: string, imported: string): string | undefined {
  if (importer === imported) return undefined
  if (neverImported.includes(imported)) return `${importer} imports ${imported}, which no package may import`
  const allowed = allowedInternalImports[importer]
  if (allowed && !allowed.includes(imported)) {
    return `${importer} imports ${imported}; allowed @hotpath imports: ${allowed.length ? allowed.join(', ') : 'none'}`
  }
  return undefined
}

export function isHeavy(name: string): boolean {
  return heavyPackages.some((p) => (typeof p === 'string' ? p === name : p.test(name)))
}
