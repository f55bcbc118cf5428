// Captures: values a scenario step extracts from its response (JSON path, header, regex) into the iteration's
// variables, which later steps of the same iteration use as {{name}}.

/** Where a captured value comes from: one of `json`, `header` or `regex` (first group, else the whole match). */
export type CaptureSpec = { json: string } | { header: string } | { regex: string }

/** The variables of one iteration: captured values by name. */
export type Vars = Record<string, string>

export interface CompiledCapture {
  name: string
  /** What of the response it reads. */
  from: 'body' | 'header'
  /** Extracts the value from a response, or undefined when it is not there. */
  extract(res: CapturedResponse): string | undefined
}

/** What a capturing step keeps of its response. */
export interface CapturedResponse {
  /** Response body as text (only kept when a capture or a body check needs it). */
  body(): string
  /** A response header value (lower-case name), or undefined. */
  header(name: string): string | undefined
}

/** Variable names a capture may take: identifiers, not the built-in placeholders. */
export const VAR_NAME: RegExp = /^[A-Za-z_][A-Za-z0-9_]*$/
const RESERVED = new Set(['uuid', 'int', 'csv', 'iteration'])

export function isVarName(name: string): boolean {
  return VAR_NAME.test(name) && !RESERVED.has(name)
}

/** Compiles a step's `capture` map; `fail` throws the scenario error naming the mistake. */
export function compileCaptures(
  spec: Record<string, CaptureSpec>,
  at: string,
  fail: (reason: string) => never,
): CompiledCapture[] {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    fail(`${at}.capture must be an object { name: { json | header | regex } }`)
  }
  const out: CompiledCapture[] = []
  for (const [name, source] of Object.entries(spec)) {
    if (!isVarName(name)) {
      fail(
        `${at}.capture: "${name}" is not a valid variable name (letters, digits, _; not uuid, int, csv, iteration)`,
      )
    }
    const s = source as Record<string, unknown> | null
    const keys = s !== null && typeof s === 'object' ? Object.keys(s) : []
    if (
      keys.length !== 1 ||
      !['json', 'header', 'regex'].includes(keys[0]!) ||
      typeof s![keys[0]!] !== 'string'
    ) {
      fail(
        `${at}.capture.${name} must be one of { json: "<path>" }, { header: "<name>" }, { regex: "<pattern>" }`,
      )
    }
    const kind = keys[0]!
    const text = s![kind] as string
    if (kind === 'json') {
      const path = parseJsonPath(text, (reason) => fail(`${at}.capture.${name}: ${reason}`))
      out.push({ name, from: 'body', extract: (res) => jsonValue(res.body(), path) })
    } else if (kind === 'header') {
      const header = text.toLowerCase()
      out.push({ name, from: 'header', extract: (res) => res.header(header) })
    } else {
      let re: RegExp
      try {
        re = new RegExp(text)
      } catch (error) {
        return fail(`${at}.capture.${name}: invalid regex: ${(error as Error).message}`)
      }
      out.push({
        name,
        from: 'body',
        extract: (res) => {
          const m = re.exec(res.body())
          return m === null ? undefined : (m[1] ?? m[0])
        },
      })
    }
  }
  return out
}

/** `token`, `order.id`, `items[0].id`, `$.items[0].id`, `[0]`: keys and array indices. */
export function parseJsonPath(text: string, fail: (reason: string) => never): Array<string | number> {
  let rest = text.trim()
  if (rest.startsWith('$')) rest = rest.slice(1)
  const parts: Array<string | number> = []
  const re = /^(?:\.?([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[["']([^"']*)["']\])/
  if (rest.startsWith('.')) rest = rest.slice(1)
  while (rest.length > 0) {
    const m = re.exec(rest)
    if (m === null || m[0] === '') fail(`invalid JSON path "${text}" at "${rest}"`)
    if (m[1] !== undefined) parts.push(m[1])
    else if (m[2] !== undefined) parts.push(Number(m[2]))
    else parts.push(m[3]!)
    rest = rest.slice(m[0].length)
  }
  if (parts.length === 0) fail(`empty JSON path "${text}"`)
  return parts
}

function jsonValue(body: string, path: ReadonlyArray<string | number>): string | undefined {
  let value: unknown
  try {
    value = JSON.parse(body)
  } catch {
    return undefined
  }
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined
    value = (value as Record<string | number, unknown>)[key]
  }
  if (value === undefined || value === null) return undefined
  return typeof value === 'object' ? JSON.stringify(value) : String(value)
}

/** A header value from a raw response head (status line first, CRLF lines). */
export function headerFromHead(head: string, name: string): string | undefined {
  let from = head.indexOf('\n') + 1
  while (from > 0 && from < head.length) {
    let eol = head.indexOf('\n', from)
    if (eol < 0) eol = head.length
    const colon = head.indexOf(':', from)
    if (colon > 0 && colon < eol && head.slice(from, colon).trim().toLowerCase() === name) {
      return head.slice(colon + 1, eol).trim()
    }
    from = eol + 1
  }
  return undefined
}
