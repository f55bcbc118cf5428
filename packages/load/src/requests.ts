// What each iteration sends: one request (the fast path, no allocation), a weighted pick among a scenario's
// requests and sequences with templates rendered per iteration, or the steps a programmable scenario returns.
// A step that uses captured values is built only when its turn comes (after the responses it depends on).
import type { Dispatcher } from 'undici'
import { type CompiledCapture, compileCaptures, type Vars } from './capture.ts'
import { LoadInvalidScenarioError } from './errors.ts'
import {
  type ScenarioFunction,
  type ScenarioObject,
  type ScenarioRequest,
  validateRequest,
} from './scenario.ts'
import { compileTemplate, parseCsv, render, type Template, type TemplateContext } from './template.ts'

export interface Check {
  status: readonly number[] | null
  bodyContains: string | null
}

export interface Step {
  dispatch: Dispatcher.DispatchOptions
  check: Check
  /** The same step object is sent every time (its serialised bytes may be cached in `raw`). */
  fixed: boolean
  raw: Buffer | undefined
  /** Key of the per-name statistics; null for a plain run (no scenario: the totals are the one name). */
  name: string | null
  /** Values to capture from the response into the iteration's variables (null: none). */
  captures: readonly CompiledCapture[] | null
  /** Keep the response body (a body check or a body capture needs it). */
  keepBody: boolean
  /** Keep the response headers (a header capture needs them). */
  keepHeaders: boolean
  /** ms to wait after the response before the next step. */
  think: number
}

/** A step of an iteration: ready, or built from the values captured by the earlier steps. */
export type PlanStep = Step | ((vars: Vars) => Step)

export interface RequestSource {
  /** Steps of the next iteration (one for a plain request, several for a sequence). */
  next(): readonly PlanStep[]
  /** Every request name the source can produce ([] for a plain run; null: known only at run time). */
  readonly names: readonly string[] | null
}

export interface PlainRequest {
  method: string
  path: string
  headers: Record<string, string> | undefined
  body: string | undefined
}

/** A step that cannot be built (a programmable scenario threw or returned a bad request): counted as SCENARIO. */
export class StepFailure implements Error {
  readonly name = 'StepFailure'
  readonly code = 'SCENARIO'
  readonly message: string
  constructor(message: string) {
    this.message = message
  }
}

const defaultCheck: Check = { status: null, bodyContains: null }

/** A single fixed request: the same frozen step every iteration. */
export function plainSource(origin: string, req: PlainRequest): RequestSource {
  const steps: readonly Step[] = [
    {
      dispatch: {
        origin,
        method: req.method as Dispatcher.HttpMethod,
        path: req.path,
        headers: req.headers ?? null,
        body: req.body ?? null,
      },
      check: defaultCheck,
      fixed: true,
      raw: undefined,
      name: null,
      captures: null,
      keepBody: false,
      keepHeaders: false,
      think: 0,
    },
  ]
  return { next: () => steps, names: [] }
}

interface CompiledRequest {
  name: string
  method: string
  path: Template
  headers: Array<[string, Template]>
  body: Template | null
  check: Check
  captures: readonly CompiledCapture[] | null
  think: number
  /** Fully static: the prebuilt step. */
  fixed: Step | null
}

function checkOf(r: ScenarioRequest): Check {
  const status = r.expect?.status
  return {
    status: status === undefined ? null : Array.isArray(status) ? status : [status],
    bodyContains: r.expect?.bodyContains ?? null,
  }
}

export function scenarioSource(
  origin: string,
  defaults: PlainRequest,
  scenario: ScenarioObject,
  csvText: string | undefined,
  file = '<scenario>',
): RequestSource {
  const fail = (reason: string): never => {
    throw new LoadInvalidScenarioError(file, reason)
  }
  const csv = csvText === undefined ? undefined : parseCsv(csvText)
  if (csv && csv.rows.length === 0) fail('the csv file has no data rows')
  const columns = csv?.columns
  const compile = (r: ScenarioRequest, at: string, vars: ReadonlySet<string>): CompiledRequest => {
    const headers: Array<[string, Template]> = []
    for (const [k, v] of Object.entries({ ...defaults.headers, ...r.headers })) {
      headers.push([k.toLowerCase(), compileTemplate(String(v), columns, fail, vars)])
    }
    let body: Template | null = null
    const rawBody = r.body ?? defaults.body
    if (typeof rawBody === 'string') body = compileTemplate(rawBody, columns, fail, vars)
    else if (rawBody !== undefined) {
      body = compileTemplate(JSON.stringify(rawBody), columns, fail, vars)
      if (!headers.some(([k]) => k === 'content-type')) headers.push(['content-type', 'application/json'])
    }
    const method = (r.method ?? defaults.method).toUpperCase()
    const path = r.path ?? defaults.path
    const compiled: CompiledRequest = {
      name: r.name ?? `${method} ${path.replace(/\{\{\s*(\w*).*?\}\}/g, ':$1')}`,
      method,
      path: compileTemplate(path, columns, fail, vars),
      headers,
      body,
      check: checkOf(r),
      captures: r.capture === undefined ? null : compileCaptures(r.capture, at, fail),
      think: r.think ?? 0,
      fixed: null,
    }
    if (
      typeof compiled.path === 'string' &&
      headers.every(([, v]) => typeof v === 'string') &&
      typeof body !== 'function'
    ) {
      compiled.fixed = build(origin, compiled, { row: undefined, vars: null })
      compiled.fixed.fixed = true
    }
    return compiled
  }
  const names = new Set<string>()
  const items = scenario.requests.map((entry, i) => {
    const list = 'sequence' in entry ? entry.sequence : [entry]
    // Variables captured by a step are known to the steps after it (in the order written).
    const vars = new Set<string>()
    const steps = list.map((r, j) => {
      const c = compile(r, `requests[${i}]${'sequence' in entry ? `.sequence[${j}]` : ''}`, vars)
      for (const cap of c.captures ?? []) vars.add(cap.name)
      names.add(c.name)
      return c
    })
    // Items whose every step is fixed hand out the same array each iteration: nothing to render.
    const fixed = steps.every((c) => c.fixed !== null) ? steps.map((c) => c.fixed as Step) : null
    return { weight: entry.weight ?? 1, steps, fixed, captures: vars.size > 0 }
  })
  let totalWeight = 0
  const cumulative = items.map((it) => (totalWeight += it.weight))
  let iteration = 0
  const rows = csv?.rows
  return {
    names: [...names],
    next(): readonly PlanStep[] {
      let item = items[0]!
      if (items.length > 1) {
        const x = Math.random() * totalWeight
        let k = 0
        while (k < cumulative.length - 1 && cumulative[k]! <= x) k++
        item = items[k]!
      }
      const row = rows ? rows[iteration % rows.length] : undefined
      iteration++
      if (item.fixed !== null) return item.fixed
      if (!item.captures) {
        const ctx: TemplateContext = { row, vars: null }
        return item.steps.map((c) => c.fixed ?? build(origin, c, ctx))
      }
      // Steps after a capture are rendered when their turn comes, with the values captured so far.
      return item.steps.map((c) => c.fixed ?? ((vars: Vars) => build(origin, c, { row, vars })))
    },
  }
}

function build(origin: string, c: CompiledRequest, ctx: TemplateContext): Step {
  const headers: Record<string, string> = {}
  for (const [k, v] of c.headers) headers[k] = render(v, ctx)
  return {
    dispatch: {
      origin,
      method: c.method as Dispatcher.HttpMethod,
      path: render(c.path, ctx),
      headers,
      body: c.body === null ? null : render(c.body, ctx),
    },
    check: c.check,
    fixed: false,
    raw: undefined,
    name: c.name,
    captures: c.captures,
    keepBody: c.check.bodyContains !== null || (c.captures?.some((x) => x.from === 'body') ?? false),
    keepHeaders: c.captures?.some((x) => x.from === 'header') ?? false,
    think: c.think,
  }
}

/**
 * A programmable scenario: `fn` is called per iteration and returns the iteration's steps. Its requests are
 * taken literally (no templates); a throw or a bad request fails that step with the error code SCENARIO.
 */
export function functionSource(
  origin: string,
  defaults: PlainRequest,
  fn: ScenarioFunction,
  worker: number,
): RequestSource {
  let iteration = 0
  return {
    names: null,
    next(): readonly PlanStep[] {
      const ctx = { iteration: iteration++, worker }
      let steps: unknown
      try {
        steps = fn(ctx)
      } catch (error) {
        return [failing(`the scenario function threw: ${(error as Error)?.message ?? String(error)}`)]
      }
      if (!Array.isArray(steps) || steps.length === 0) {
        return [failing('the scenario function must return a non-empty array of steps')]
      }
      return steps.map((s, k): PlanStep => {
        if (typeof s === 'function') {
          return (vars) => {
            let r: ScenarioRequest
            try {
              r = s(vars)
            } catch (error) {
              throw new StepFailure(`step ${k + 1} threw: ${(error as Error)?.message ?? String(error)}`)
            }
            return literal(origin, defaults, r, k)
          }
        }
        return () => literal(origin, defaults, s as ScenarioRequest, k)
      })
    },
  }
}

function failing(message: string): PlanStep {
  return () => {
    throw new StepFailure(message)
  }
}

/** A request a programmable scenario returned, as a step (validated; a mistake is a StepFailure). */
function literal(origin: string, defaults: PlainRequest, r: ScenarioRequest, k: number): Step {
  const fail = (reason: string): never => {
    throw new StepFailure(reason)
  }
  validateRequest(r, `step ${k + 1}`, fail)
  if (r.bodyFile !== undefined)
    fail(`step ${k + 1}: bodyFile is for declarative scenarios; read the file yourself`)
  const headers: Record<string, string> = {}
  for (const [key, v] of Object.entries({ ...defaults.headers, ...r.headers }))
    headers[key.toLowerCase()] = String(v)
  let body: string | null = null
  const rawBody = r.body ?? defaults.body
  if (typeof rawBody === 'string') body = rawBody
  else if (rawBody !== undefined) {
    body = JSON.stringify(rawBody)
    headers['content-type'] ??= 'application/json'
  }
  const method = (r.method ?? defaults.method).toUpperCase()
  const captures = r.capture === undefined ? null : compileCaptures(r.capture, `step ${k + 1}`, fail)
  const check = checkOf(r)
  return {
    dispatch: {
      origin,
      method: method as Dispatcher.HttpMethod,
      path: r.path ?? defaults.path,
      headers,
      body,
    },
    check,
    fixed: false,
    raw: undefined,
    name: r.name ?? `${method} #${k + 1}`,
    captures,
    keepBody: check.bodyContains !== null || (captures?.some((x) => x.from === 'body') ?? false),
    keepHeaders: captures?.some((x) => x.from === 'header') ?? false,
    think: r.think ?? 0,
  }
}
