import { describe, expect, it } from 'vitest'
import {
  bundledDependencyMarkers,
  importedPackages,
  packageNameOf,
  runtimeImportedPackages,
} from '../src/imports.ts'
import { exportTargets, type Manifest, metadataProblems } from '../src/manifest.ts'
import { internalImportViolation, isHeavy } from '../src/rules.ts'

describe('import scanning', () => {
  it('finds static, type, re-export, dynamic and require imports', () => {
    const src = `
import a from 'alpha'
import type { B } from '@scope/beta/sub'
export { c } from "gamma"
import * as d from 'delta/deep/path'
const e = await import('epsilon')
const f = require('zeta')
import './local.js'
import { x } from 'node:fs'
import 'os'
`
    expect(importedPackages(src)).toEqual(['@scope/beta', 'alpha', 'delta', 'epsilon', 'gamma', 'zeta'])
  })

  it('leaves whole type-only statements out of the run-time imports', () => {
    const src = `
import type { CacheGetEvent } from '@hotpath/cache'
import type {
  HttpRequestEvent,
} from '@hotpath/http'
export type { DbQueryEvent } from '@hotpath/db'
export type * from '@hotpath/load'
import type from 'typename-default'
import { type Clock, systemClock } from '@hotpath/core'
import { type Only } from 'kept-by-verbatim-module-syntax'
`
    expect(runtimeImportedPackages(src)).toEqual([
      '@hotpath/core',
      'kept-by-verbatim-module-syntax',
      'typename-default',
    ])
    expect(importedPackages(src)).toEqual([
      '@hotpath/cache',
      '@hotpath/core',
      '@hotpath/db',
      '@hotpath/http',
      '@hotpath/load',
      'kept-by-verbatim-module-syntax',
      'typename-default',
    ])
  })

  it('maps specifiers to package names', () => {
    expect(packageNameOf('@hotpath/cache/sub')).toBe('@hotpath/cache')
    expect(packageNameOf('./x.js')).toBeUndefined()
    expect(packageNameOf('node:diagnostics_channel')).toBeUndefined()
    expect(packageNameOf('worker_threads')).toBeUndefined()
  })

  it('spots inlined dependencies by their region markers', () => {
    expect(
      bundledDependencyMarkers(
        '//#region ../../node_modules/.pnpm/lru-cache@11.0.0/node_modules/lru-cache/dist/index.js',
      ),
    ).toEqual(['lru-cache'])
    expect(bundledDependencyMarkers('//#region node_modules/@redis/client/dist/index.js')).toEqual([
      '@redis/client',
    ])
    expect(bundledDependencyMarkers('export const x = 1')).toEqual([])
  })
})

describe('dependency rules', () => {
  it('encodes the arrows of docs/architecture.md', () => {
    for (const pkg of ['cache', 'http', 'db', 'metrics', 'load'])
      expect(internalImportViolation(`@hotpath/${pkg}`, '@hotpath/core')).toBeUndefined()
    expect(internalImportViolation('@hotpath/core', '@hotpath/cache')).toMatch(
      /allowed @hotpath imports: none/,
    )
    expect(internalImportViolation('@hotpath/http', '@hotpath/cache')).toBeUndefined()
    expect(internalImportViolation('@hotpath/db', '@hotpath/cache')).toBeUndefined()
    expect(internalImportViolation('@hotpath/load', '@hotpath/cache')).toMatch(
      /allowed @hotpath imports: @hotpath\/core$/,
    )
    expect(internalImportViolation('@hotpath/metrics', '@hotpath/cache')).toMatch(/allowed/)
    expect(internalImportViolation('@hotpath/cache', '@hotpath/http')).toMatch(/allowed/)
    expect(internalImportViolation('@hotpath/http', '@hotpath/metrics')).toMatch(/no package may import/)
    expect(internalImportViolation('@hotpath/metrics', '@hotpath/metrics')).toBeUndefined()
  })

  it('knows the heavy clients', () => {
    expect(isHeavy('undici')).toBe(true)
    expect(isHeavy('pg')).toBe(true)
    expect(isHeavy('@opentelemetry/sdk-metrics')).toBe(true)
    expect(isHeavy('lru-cache')).toBe(false)
  })
})

describe('exports map', () => {
  it('flattens subpaths and conditions', () => {
    const targets = exportTargets({
      name: 'x',
      version: '1.0.0',
      exports: {
        '.': { types: './dist/index.d.ts', default: './dist/index.js' },
        './fastify': { import: { types: './dist/f.d.ts', default: './dist/f.js' } },
        './package.json': './package.json',
      },
    })
    expect(targets).toEqual([
      { subpath: '.', types: './dist/index.d.ts', default: './dist/index.js' },
      { subpath: './fastify', types: './dist/f.d.ts', default: './dist/f.js' },
    ])
  })
})

describe('manifest metadata', () => {
  const complete: Manifest = {
    name: '@hotpath/x',
    version: '1.0.0',
    license: 'MIT',
    repository: {
      type: 'git',
      url: 'git+https://github.com/hotpath-dev/hotpath.git',
      directory: 'packages/x',
    },
    homepage: 'https://github.com/hotpath-dev/hotpath/tree/main/packages/x#readme',
    bugs: { url: 'https://github.com/hotpath-dev/hotpath/issues' },
    keywords: ['hotpath'],
    engines: { node: '>=22.20.0' },
    files: ['dist', 'LICENSE'],
    publishConfig: { access: 'public' },
  }

  it('accepts a complete manifest', () => {
    expect(metadataProblems(complete, { nodeFloor: '>=22.20.0', directory: 'packages/x' })).toEqual([])
  })

  it('names a repository.directory that is not the package folder and an engines.node off the floor', () => {
    expect(
      metadataProblems(
        { ...complete, engines: { node: '>=22' } },
        { nodeFloor: '>=22.20.0', directory: 'packages/y' },
      ),
    ).toEqual([
      'package.json "repository.directory" is "packages/x", expected "packages/y"',
      'package.json "engines.node" is ">=22", expected the house floor ">=22.20.0"',
    ])
  })

  it('wants a repository object, not a shorthand string', () => {
    expect(metadataProblems({ ...complete, repository: 'github:hotpath-dev/hotpath' })).toEqual([
      'package.json has no "repository" object with a "url"',
    ])
  })
})
