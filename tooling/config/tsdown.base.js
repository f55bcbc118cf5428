// Shared tsdown preset: ESM only, one entry per public subpath, .d.ts via isolatedDeclarations.
/**
 * @param {import('tsdown').UserConfig} [overrides]
 * @returns {import('tsdown').UserConfig}
 */
export function hotpathTsdown(overrides = {}) {
  return {
    entry: ['src/index.ts'],
    format: ['esm'],
    platform: 'node',
    target: 'node22.20',
    dts: true,
    clean: true,
    sourcemap: true,
    treeshake: true,
    ...overrides,
  }
}
