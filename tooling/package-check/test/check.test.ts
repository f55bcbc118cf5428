import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { checkPackage } from '../src/check.ts'
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

describe('checkPackage', () => {
  it('passes a clean package and reports its installed tree', async () => {
    const result = await checkPackage(await fixture('good'))
    expect(result.problems).toEqual([])
    expect(result.installed).toEqual(['@hotpath/fixture-good', 'ms'])
  })

  it('fails a package that imports a sibling it must not (load -> cache)', async () => {
    const cache = await fixture('cache')
    const load = await fixture('load-imports-cache')
    const result = await checkPackage(load, { siblings: [cache, load] })
    expect(result.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/@hotpath\/load imports @hotpath\/cache; allowed @hotpath imports: none/),
      ]),
    )
  })

  it('fails any package that imports @hotpath/metrics', async () => {
    const metrics = await fixture('metrics')
    const cache = await fixture('cache-imports-metrics')
    const result = await checkPackage(cache, { siblings: [metrics, cache] })
    expect(result.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/imports @hotpath\/metrics, which no package may import/),
      ]),
    )
  })

  it('fails a package whose tarball needs a dependency it does not declare', async () => {
    const result = await checkPackage(await fixture('undeclared-import'))
    expect(result.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/dist\/index\.js imports ms, which package\.json does not declare/),
        expect.stringMatching(/import\('@hotpath\/fixture-undeclared'\) fails under Node/),
      ]),
    )
  })

  it('fails a package whose tarball bundles a dependency', async () => {
    const result = await checkPackage(await fixture('bundled'))
    expect(result.problems).toEqual([expect.stringMatching(/bundles code of ms/)])
  })

  it('fails an export without types', async () => {
    const result = await checkPackage(await fixture('no-types'))
    expect(result.problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/has no "types" condition/)]),
    )
  })
})
