// What each iteration sends: one request (the fast path, no allocation) or a weighted pick among a scenario's
// requests and sequences, with templates rendered per iteration.
import type { Dispatcher } from 'undici'
import { LoadInvalidScenarioError } from './errors.ts'
import type { Scenario, ScenarioRequest } from './scenario.ts'
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
}

export interface RequestSource {
  /** Steps of the next iteration (one step for a plain request, several for a sequence). */
  next(): readonly Step[]
}

export interface PlainRequest {
  method: string
  path: string
  headers: Record<string, string> | undefined
  body: string | undefined
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
    },
  ]
  return { next: () => steps }
}

interface CompiledRequest {
  method: string
  path: Template
  headers: Array<[string, Template]>
  body: Template | null
  check: Check
  /** Fully static: the prebuilt step. */
  fixed: Step | null
}

export function scenarioSource(
  origin: string,
  defaults: PlainRequest,
  scenario: Scenario,
  csvText: string | undefined,
  file = '<scenario>',
): RequestSource {
  const fail = (reason: string): never => {
    throw new LoadInvalidScenarioError(file, reason)
  }
  const csv = csvText === undefined ? undefined : parseCsv(csvText)
  if (csv && csv.rows.length === 0) fail('the csv file has no data rows')
  const columns = csv?.columns
  const compile = (r: ScenarioRequest): CompiledRequest => {
    const headers: Array<[string, Template]> = []
    for (const [k, v] of Object.entries({ ...defaults.headers, ...r.headers })) {
      headers.push([k.toLowerCase(), compileTemplate(String(v), columns, fail)])
    }
    let body: Template | null = null
    const rawBody = r.body ?? defaults.body
    if (typeof rawBody === 'string') body = compileTemplate(rawBody, columns, fail)
    else if (rawBody !== undefined) {
      body = compileTemplate(JSON.stringify(rawBody), columns, fail)
      if (!headers.some(([k]) => k === 'content-type')) headers.push(['content-type', 'application/json'])
    }
    const status = r.expect?.status
    const check: Check = {
      status: status === undefined ? null : Array.isArray(status) ? status : [status],
      bodyContains: r.expect?.bodyContains ?? null,
    }
    const compiled: CompiledRequest = {
      method: (r.method ?? defaults.method).toUpperCase(),
      path: compileTemplate(r.path ?? defaults.path, columns, fail),
      headers,
      body,
      check,
      fixed: null,
    }
    if (
      typeof compiled.path === 'string' &&
      headers.every(([, v]) => typeof v === 'string') &&
      typeof body !== 'function'
    ) {
      compiled.fixed = build(origin, compiled, { row: undefined })
      compiled.fixed.fixed = true
    }
    return compiled
  }
  const items = scenario.requests.map((entry) => {
    const steps = ('sequence' in entry ? entry.sequence : [entry]).map(compile)
    // Items whose every step is fixed hand out the same array each iteration: nothing to render.
    const fixed = steps.every((c) => c.fixed !== null) ? steps.map((c) => c.fixed as Step) : null
    return { weight: entry.weight ?? 1, steps, fixed }
  })
  let totalWeight = 0
  const cumulative = items.map((it) => (totalWeight += it.weight))
  let iteration = 0
  const rows = csv?.rows
  return {
    next(): readonly Step[] {
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
      const ctx: TemplateContext = { row }
      return item.steps.map((c) => c.fixed ?? build(origin, c, ctx))
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
  }
}
