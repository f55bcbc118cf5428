// What the published package contains: no trace of the packages whose channels it reads, and its real
// version as the instrumentation scope.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const root = new URL('../', import.meta.url)
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string }
const SIBLINGS = /@hotpath\/(cache|http|db|load)\b/

function files(dir: URL, ext: RegExp): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => ext.test(f))
    .map((f) => readFileSync(new URL(f, dir), 'utf8'))
}

describe('package boundaries', () => {
  it('src imports the other hotpath packages with `import type` only', () => {
    const src = new URL('src/', root)
    const offending: string[] = []
    for (const f of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
      if (!f.endsWith('.ts')) continue
      for (const line of readFileSync(new URL(f, src), 'utf8').split('\n')) {
        if (SIBLINGS.test(line) && /\bfrom\s+['"]/.test(line) && !/^\s*import type\b/.test(line))
          offending.push(`${f}: ${line.trim()}`)
      }
    }
    expect(offending).toEqual([])
  })

  it.runIf(existsSync(new URL('dist/index.d.mts', root)))(
    'the emitted declarations and code never name @hotpath/cache, http, db or load',
    () => {
      const dist = new URL('dist/', root)
      const declarations = files(dist, /\.d\.mts$/)
      expect(declarations.length).toBeGreaterThan(0)
      for (const text of declarations) {
        expect(text).not.toMatch(SIBLINGS)
        // nothing inlined from the packages' own dependencies (undici, hdr-histogram-js, ...) either: the
        // declarations import only what a user of metrics installs with it
        const from = [...text.matchAll(/^import\s+(?:[^'"]*?\s+from\s+)?["']([^"']+)["']/gm)].map((m) => m[1])
        for (const specifier of from)
          expect(specifier).toMatch(/^(\.\/|node:|@hotpath\/core$|@opentelemetry\/)/)
        expect(text).not.toMatch(/declare (module|global)\b/)
      }
      for (const text of files(dist, /\.mjs$/)) expect(text).not.toMatch(SIBLINGS)
    },
  )

  it.runIf(existsSync(new URL('dist/index.mjs', root)))(
    "the built scope version is package.json's version (inlined from package.json)",
    () => {
      const code = readFileSync(new URL('dist/index.mjs', root), 'utf8')
      expect(code).toMatch(new RegExp(`version: "${pkg.version.replaceAll('.', '\\.')}"`))
      expect(code).not.toContain('package.json')
    },
  )
})
