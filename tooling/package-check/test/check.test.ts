import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { checkPackage } from '../src/check.ts'
import { checkImportsOn } from '../src/imports-on-node.ts'
import { readManifest } from '../src/manifest.ts'
import type { WorkspacePackage } from '../src/workspace.ts'

const fixtures = new URL('./fixtures/', import.meta.url).pathname
const copies: string[] = []

// Packing works on a copy outside the workspace, as a user's package would.
async function fixture(name: string): Promise<WorkspacePackage> {
  const dir = await mkdtemp(join(tmpdir(), `hp-fixture-${name}-`))
  copies.push(dir)
  await cp(join(fixtures, name), dir, { recursive: true })
  return { dir, manifest: await readManifest(dir) }
}

afterAll(async () => {
  await Promise.all(copies.map((dir) => rm(dir, { recursive: true, force: true })))
})

const floor = '>=22.20.0'
// Cases about other checks pass `types: false`: the two tsc runs per case are the slow part, and the
// cases that assert a complete result (good, bundled, type-only-src) and the type cases keep them.

// Each case packs and installs into its own temporary project: they run side by side (npm and tsc wait on I/O).
describe.concurrent('checkPackage', () => {
  it('passes a clean package and reports its installed tree', async ({ expect }) => {
    const result = await checkPackage(await fixture('good'), {
      nodeFloor: floor,
      directory: 'packages/fixture-good',
    })
    expect(result.problems).toEqual([])
    expect(result.installed).toEqual(['@hotpath/fixture-good', 'ms'])
  })

  it('fails a package that imports a sibling it must not (load -> cache)', async ({ expect }) => {
    const cache = await fixture('cache')
    const load = await fixture('load-imports-cache')
    const result = await checkPackage(load, { siblings: [cache, load], types: false })
    expect(result.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /@hotpath\/load imports @hotpath\/cache; allowed @hotpath imports: @hotpath\/core$/,
        ),
      ]),
    )
  })

  it('fails any package that imports @hotpath/metrics', async ({ expect }) => {
    const metrics = await fixture('metrics')
    const cache = await fixture('cache-imports-metrics')
    const result = await checkPackage(cache, { siblings: [metrics, cache], types: false })
    expect(result.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/imports @hotpath\/metrics, which no package may import/),
      ]),
    )
  })

  it('fails a package whose tarball needs a dependency it does not declare', async ({ expect }) => {
    const result = await checkPackage(await fixture('undeclared-import'), { types: false })
    expect(result.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/dist\/index\.js imports ms, which package\.json does not declare/),
        expect.stringMatching(/import\('@hotpath\/fixture-undeclared'\) fails under Node/),
      ]),
    )
  })

  it('fails a package whose tarball bundles a dependency', async ({ expect }) => {
    const result = await checkPackage(await fixture('bundled'), { nodeFloor: floor })
    expect(result.problems).toEqual([expect.stringMatching(/bundles code of ms/)])
  })

  it('fails an export without types', async ({ expect }) => {
    const result = await checkPackage(await fixture('no-types'), { types: false })
    expect(result.problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/has no "types" condition/)]),
    )
  })
  it('fails a manifest without the registry fields, and a tarball without LICENSE', async ({ expect }) => {
    const result = await checkPackage(await fixture('bare-manifest'), {
      nodeFloor: floor,
      directory: 'packages/fixture-bare',
      types: false,
    })
    expect(result.problems).toEqual(
      expect.arrayContaining([
        'package.json has no "license"',
        'package.json "repository" has no "directory" (the package folder in the monorepo)',
        'package.json has no "homepage"',
        'package.json has no "bugs"',
        'package.json has no "keywords"',
        'package.json "engines.node" is ">=22.13.0", expected the house floor ">=22.20.0"',
        'package.json has no "files"',
        'package.json has no "publishConfig": { "access": "public" } (a scoped package is private by default)',
        'the tarball has no LICENSE file',
      ]),
    )
  })

  it('fails types that check under nodenext but not under bundler', async ({ expect }) => {
    const result = await checkPackage(await fixture('node-only-types'), { nodeFloor: floor })
    expect(result.problems).toEqual([
      expect.stringMatching(/^types do not check \(moduleResolution bundler, skipLibCheck false\): .*#impl/),
    ])
  })

  it('allows type-only imports of other packages in src (metrics reading channel payload types)', async ({
    expect,
  }) => {
    const result = await checkPackage(await fixture('type-only-src'), { nodeFloor: floor })
    expect(result.problems).toEqual([])
  })

  it('fails shipped types that reference a @hotpath package the manifest does not declare', async ({
    expect,
  }) => {
    const result = await checkPackage(await fixture('dts-undeclared'), { nodeFloor: floor })
    expect(result.problems).toEqual(
      expect.arrayContaining([
        'dist/index.d.ts references @hotpath/cache, which package.json does not declare',
        expect.stringMatching(/^types do not check \(moduleResolution nodenext/),
      ]),
    )
    expect(result.problems.some((p) => p.startsWith('src/'))).toBe(false)
  })
})

describe('checkImportsOn', () => {
  it('imports every export of every tarball under the given Node', async () => {
    const fine = await fixture('no-types')
    const broken = await fixture('undeclared-import')
    const results = await checkImportsOn(process.execPath, [fine, broken])
    expect(results).toEqual([
      { name: '@hotpath/fixture-no-types', problems: [] },
      {
        name: '@hotpath/fixture-undeclared',
        problems: [expect.stringMatching(new RegExp(`fails under Node ${process.version}: .*ms`))],
      },
    ])
  })
})
