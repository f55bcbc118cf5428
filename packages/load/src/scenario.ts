// Scenario files (.json, .js, .mjs, .ts): weighted requests and sequences, templates, per-request checks.
import { readFileSync } from 'node:fs'
import { dirname, extname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { LoadInvalidScenarioError } from './errors.ts'

export interface ScenarioExpect {
  /** Expected status code(s). Without it, a status >= 400 counts as an error. */
  status?: number | number[]
  /** The response body must contain this text. */
  bodyContains?: string
}

export interface ScenarioRequest {
  name?: string
  method?: string
  /** Path (and query) on the target origin; default: the path of the target URL. */
  path?: string
  headers?: Record<string, string>
  /** A string is sent as is; an object is sent as JSON. */
  body?: string | Record<string, unknown> | unknown[]
  /** Relative weight among the scenario's entries (default 1). */
  weight?: number
  expect?: ScenarioExpect
}

export interface ScenarioSequence {
  name?: string
  weight?: number
  /** Requests sent one after the other on the same connection slot (login, then fetch). */
  sequence: ScenarioRequest[]
}

export interface Scenario {
  requests: Array<ScenarioRequest | ScenarioSequence>
  /** CSV file (path relative to the scenario file) whose columns feed {{csv <column>}}; one row per iteration. */
  csv?: string
}

export interface LoadedScenario {
  scenario: Scenario
  /** CSV text when the scenario names a CSV file. */
  csvText: string | undefined
}

/** Loads a scenario file; JS/TS files default-export the scenario object. */
export async function loadScenarioFile(file: string): Promise<LoadedScenario> {
  const path = resolve(file)
  const ext = extname(path)
  let value: unknown
  try {
    if (ext === '.json') value = JSON.parse(readFileSync(path, 'utf8'))
    else if (['.js', '.mjs', '.ts', '.mts'].includes(ext)) {
      const mod = (await import(pathToFileURL(path).href)) as { default?: unknown }
      value = mod.default
    } else
      throw new LoadInvalidScenarioError(file, `unsupported extension "${ext}" (use .json, .js, .mjs or .ts)`)
  } catch (error) {
    if (error instanceof LoadInvalidScenarioError) throw error
    throw new LoadInvalidScenarioError(file, `cannot load: ${(error as Error).message}`, error)
  }
  const scenario = validateScenario(value, file)
  let csvText: string | undefined
  if (scenario.csv !== undefined) {
    try {
      csvText = readFileSync(resolve(dirname(path), scenario.csv), 'utf8')
    } catch (error) {
      throw new LoadInvalidScenarioError(
        file,
        `cannot read csv "${scenario.csv}": ${(error as Error).message}`,
        error,
      )
    }
  }
  return { scenario, csvText }
}

export function validateScenario(value: unknown, file = '<scenario>'): Scenario {
  const fail = (reason: string): never => {
    throw new LoadInvalidScenarioError(file, reason)
  }
  if (!value || typeof value !== 'object') fail('expected an object with a "requests" array')
  const s = value as Scenario
  if (!Array.isArray(s.requests) || s.requests.length === 0) fail('"requests" must be a non-empty array')
  if (s.csv !== undefined && typeof s.csv !== 'string') fail('"csv" must be a file path')
  s.requests.forEach((entry, i) => {
    if (!entry || typeof entry !== 'object') fail(`requests[${i}] must be an object`)
    if (entry.weight !== undefined && !(Number.isFinite(entry.weight) && entry.weight > 0)) {
      fail(`requests[${i}].weight must be a positive number, got ${JSON.stringify(entry.weight)}`)
    }
    const steps = 'sequence' in entry ? entry.sequence : [entry]
    if (!Array.isArray(steps) || steps.length === 0) fail(`requests[${i}].sequence must be a non-empty array`)
    for (const [j, r] of steps.entries()) {
      validateRequest(r, `requests[${i}]${'sequence' in entry ? `.sequence[${j}]` : ''}`, fail)
    }
  })
  return s
}

function validateRequest(r: ScenarioRequest, at: string, fail: (reason: string) => never): void {
  if (!r || typeof r !== 'object') fail(`${at} must be an object`)
  if (r.method !== undefined && !/^[A-Za-z]+$/.test(r.method)) fail(`${at}.method must be an HTTP method`)
  if (r.path !== undefined && (typeof r.path !== 'string' || !r.path.startsWith('/'))) {
    fail(`${at}.path must be a string starting with "/"`)
  }
  if (r.headers !== undefined && (typeof r.headers !== 'object' || r.headers === null))
    fail(`${at}.headers must be an object`)
  const status = r.expect?.status
  if (status !== undefined) {
    const list = Array.isArray(status) ? status : [status]
    if (list.length === 0 || !list.every((c) => Number.isInteger(c) && c >= 100 && c <= 599)) {
      fail(`${at}.expect.status must be a status code or an array of them`)
    }
  }
  if (r.expect?.bodyContains !== undefined && typeof r.expect.bodyContains !== 'string') {
    fail(`${at}.expect.bodyContains must be a string`)
  }
}
