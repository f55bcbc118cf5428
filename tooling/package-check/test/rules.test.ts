import { describe, expect, it } from 'vitest'
import { bundledDependencyMarkers, importedPackages, packageNameOf } from '../src/imports.ts'
import { exportTargets } from '../src/manifest.ts'
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
  it('encodes the arrows of ARCHITECTURE.md', () => {
    expect(internalImportViolation('@hotpath/http', '@hotpath/cache')).toBeUndefined()
    expect(internalImportViolation('@hotpath/db', '@hotpath/cache')).toBeUndefined()
    expect(internalImportViolation('@hotpath/load', '@hotpath/cache')).toMatch(
      /allowed @hotpath imports: none/,
    )
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
