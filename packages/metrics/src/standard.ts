// Which semantic-convention instruments hotpath exports next to the user's OpenTelemetry instrumentations.
// An OTel contrib instrumentation that sees the same calls (instrumentation-undici, -http, -pg) publishes the
// same names: exporting ours as well would count every request twice. The families are still recorded
// (the report reads them); only their export is left out.
import { hasSubscribers } from 'node:diagnostics_channel'
import { Server } from 'node:http'
import { createRequire } from 'node:module'
import { check } from './errors.ts'
import { NAMES } from './names.ts'

/** `true`: always export; `false`: never; `'auto'`: not while the matching OTel instrumentation is active. */
export type StandardSetting = boolean | 'auto'

export interface StandardInstrumentsOptions {
  /** `http.client.request.duration`; `auto`: off while `undici:request:create` has a subscriber (instrumentation-undici). */
  httpClient?: StandardSetting
  /** `http.server.request.duration`; `auto`: off while `http.Server` is patched (instrumentation-http). */
  httpServer?: StandardSetting
  /** `db.client.operation.duration`; `auto`: off while the loaded `pg` Client is patched (instrumentation-pg). */
  db?: StandardSetting
}

export type StandardFamily = keyof StandardInstrumentsOptions

export type ResolvedStandard = Readonly<Record<StandardFamily, StandardSetting>>

const FAMILIES: readonly StandardFamily[] = ['httpClient', 'httpServer', 'db']

export const STANDARD_NAMES: Readonly<Record<StandardFamily, string>> = Object.freeze({
  httpClient: NAMES.httpClientDuration,
  httpServer: NAMES.httpServerDuration,
  db: NAMES.dbOperationDuration,
})

export function resolveStandard(input: unknown): ResolvedStandard {
  const o = check.object('standardInstruments', input, FAMILIES) ?? {}
  const out = {} as Record<StandardFamily, StandardSetting>
  for (const family of FAMILIES) {
    const v = o[family]
    if (v !== undefined && v !== true && v !== false && v !== 'auto') {
      check.fail(`standardInstruments.${family}`, v, "true, false or 'auto'")
    }
    out[family] = (v as StandardSetting | undefined) ?? 'auto'
  }
  return Object.freeze(out)
}

type Wrapped = { __wrapped?: unknown }

/** shimmer (used by every OTel instrumentation) marks a wrapped function with `__wrapped`. */
function isWrapped(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as Wrapped).__wrapped === true
}

const requireHere = createRequire(import.meta.url)
const PG_INDEX = /[\\/]node_modules[\\/]pg[\\/]lib[\\/]index\.js$/

/** Whether `pg` is loaded, and if so whether a copy has its `Client.prototype.query` wrapped (instrumentation-pg). */
export function pgState(): 'unloaded' | 'plain' | 'patched' {
  const cache = requireHere.cache as Record<string, { exports?: unknown } | undefined>
  let state: 'unloaded' | 'plain' = 'unloaded'
  for (const path in cache) {
    if (!PG_INDEX.test(path)) continue
    const exports = cache[path]?.exports as { Client?: { prototype?: { query?: unknown } } } | undefined
    if (isWrapped(exports?.Client?.prototype?.query)) return 'patched'
    state = 'plain'
  }
  return state
}

const pgPatched = (): boolean => pgState() === 'patched'

const DETECTORS: Readonly<Record<StandardFamily, () => boolean>> = {
  httpClient: () => hasSubscribers('undici:request:create'),
  httpServer: () => isWrapped(Server.prototype.emit),
  db: pgPatched,
}

/** The names to leave out of this collection (detection runs once per collection, never per event). */
export function deferredNames(
  settings: ResolvedStandard,
  families: readonly StandardFamily[] = FAMILIES,
): Set<string> {
  const out = new Set<string>()
  for (const family of families) {
    const s = settings[family]
    if (s === false || (s === 'auto' && DETECTORS[family]())) out.add(STANDARD_NAMES[family])
  }
  return out
}
