// The instrumentation scope of every instrument this package creates: name and version come from the
// package's own package.json (inlined at build, so the published tarball reports its real version).
import pkg from '../package.json' with { type: 'json' }

export const SCOPE: { readonly name: string; readonly version: string } = Object.freeze({
  name: pkg.name,
  version: pkg.version,
})
