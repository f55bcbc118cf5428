// Scenario files (.json, .js, .mjs, .ts): weighted requests and sequences, templates, per-request checks,
// captures between steps; or a function called per iteration (programmable scenarios).
import { readFileSync } from 'node:fs'
import { dirname, extname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type CaptureSpec, compileCaptures, type Vars } from './capture.ts'
import { LoadInvalidScenarioError } from './errors.ts'

export interface ScenarioExpect {
  /** Expected status code(s). Without it, a status >= 400 counts as an error. */
  status?: number | number[]
  /** The response body must contain this text. */
  bodyContains?: string
}

export interface ScenarioRequest {
  /**
   * Name of the request in the per-name statistics and thresholds (`p99{name:login}<50ms`). Default: the method
   * and the path as written (`GET /orders/{{id}}`); in a programmable scenario, `<method> #<position>`.
   */
  name?: string
  method?: string
  /** Path (and query) on the target origin; default: the path of the target URL. */
  path?: string
  headers?: Record<string, string>
  /** A string is sent as is; an object is sent as JSON. */
  body?: string | Record<string, unknown> | unknown[]
  /** A file (relative to the scenario file) whose text is the body; exclusive with `body`. */
  bodyFile?: string
  /** Relative weight among the scenario's entries (default 1). */
  weight?: number
  expect?: ScenarioExpect
  /**
   * Values to extract from the response into the iteration's variables, used by later steps as `{{name}}`:
   * `{ token: { json: 'token' }, id: { json: 'order.id' }, loc: { header: 'location' }, n: { regex: 'n=(\\d+)' } }`.
   * A value that is not there fails the step (`CAPTURE`) and ends the iteration.
   */
  capture?: Record<string, CaptureSpec>
  /** Think time: ms to wait after this step's response before the next step of the iteration (default 0). */
  think?: number
}

export interface ScenarioSequence {
  name?: string
  weight?: number
  /** Requests sent one after the other on the same connection slot (login, then fetch). */
  sequence: ScenarioRequest[]
}

export interface ScenarioObject {
  requests: Array<ScenarioRequest | ScenarioSequence>
  /** CSV file (path relative to the scenario file) whose columns feed {{csv <column>}}; one row per iteration. */
  csv?: string
}

/** What a programmable scenario's function is called with, once per iteration. */
export interface IterationContext {
  /** 0-based index of the iteration in this thread (with workers, each counts its own). */
  iteration: number
  /** Index of the worker thread running it (0 without workers). */
  worker: number
}

/** A step of a programmable iteration: a request, or a function of the values captured so far. */
export type ScenarioStep = ScenarioRequest | ((vars: Readonly<Vars>) => ScenarioRequest)

/**
 * A programmable scenario: called per iteration, returns the iteration's steps in order (templates are not
 * rendered: the function builds its own strings; captures and checks work as in a declarative scenario).
 */
export type ScenarioFunction = (ctx: IterationContext) => ScenarioStep[]

/** A declarative scenario object, or a function called per iteration. */
export type Scenario = ScenarioObject | ScenarioFunction

export interface LoadedScenario {
  scenario: Scenario
  /** CSV text when the scenario names a CSV file. */
  csvText: string | undefined
}

/** Loads a scenario file; JS/TS files default-export the scenario object or function. */
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
  const valid = validateScenario(value, file)
  if (typeof valid === 'function') return { scenario: valid, csvText: undefined }
  const scenario = readBodyFiles(valid, dirname(path), file)
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

/** The scenario with each `bodyFile` read into `body` (paths relative to `dir`); the input is not modified. */
export function readBodyFiles(scenario: ScenarioObject, dir: string, file: string): ScenarioObject {
  const read = (r: ScenarioRequest): ScenarioRequest => {
    if (r.bodyFile === undefined) return r
    try {
      const { bodyFile, ...rest } = r
      return { ...rest, body: readFileSync(resolve(dir, bodyFile), 'utf8') }
    } catch (error) {
      throw new LoadInvalidScenarioError(
        file,
        `cannot read bodyFile "${r.bodyFile}": ${(error as Error).message}`,
        error,
      )
    }
  }
  return {
    ...scenario,
    requests: scenario.requests.map((entry) =>
      'sequence' in entry ? { ...entry, sequence: entry.sequence.map(read) } : read(entry),
    ),
  }
}

export function validateScenario(value: unknown, file = '<scenario>'): Scenario {
  const fail = (reason: string): never => {
    throw new LoadInvalidScenarioError(file, reason)
  }
  if (typeof value === 'function') return value as ScenarioFunction
  if (!value || typeof value !== 'object')
    fail('expected an object with a "requests" array, or a function called per iteration')
  const s = value as ScenarioObject
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

export function validateRequest(r: ScenarioRequest, at: string, fail: (reason: string) => never): void {
  if (!r || typeof r !== 'object') fail(`${at} must be an object`)
  if (r.name !== undefined && (typeof r.name !== 'string' || r.name === '' || /[{}]/.test(r.name))) {
    fail(`${at}.name must be a non-empty string without { or }`)
  }
  if (r.think !== undefined && !(Number.isFinite(r.think) && r.think >= 0)) {
    fail(`${at}.think must be a number of ms >= 0`)
  }
  if (r.body !== undefined && r.bodyFile !== undefined) fail(`${at}: body and bodyFile are exclusive`)
  if (r.bodyFile !== undefined && typeof r.bodyFile !== 'string') fail(`${at}.bodyFile must be a file path`)
  if (r.capture !== undefined) compileCaptures(r.capture, at, fail)
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
