// Templated values in paths, header values and bodies: {{uuid}}, {{int 1 10000}}, {{csv column}}, and {{name}}
// for a value an earlier step of the same iteration captured.
import { randomUUID } from 'node:crypto'
import type { Vars } from './capture.ts'

export interface TemplateContext {
  /** CSV row of the current iteration, when the scenario has a CSV file. */
  row: Readonly<Record<string, string>> | undefined
  /** Values captured by earlier steps of the iteration. */
  vars: Readonly<Vars> | null
}

const noVars: ReadonlySet<string> = new Set()

export type Template = string | ((ctx: TemplateContext) => string)

/** Compiles a template string; returns the string itself when it has no placeholder (the fast path). */
export function compileTemplate(
  text: string,
  columns: readonly string[] | undefined,
  fail: (reason: string) => never,
  vars: ReadonlySet<string> = noVars,
): Template {
  const re = /\{\{\s*(.*?)\s*\}\}/g
  if (!re.test(text)) return text
  re.lastIndex = 0
  const parts: Array<string | ((ctx: TemplateContext) => string)> = []
  let last = 0
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) parts.push(text.slice(last, m.index))
    parts.push(placeholder(m[1]!, columns, fail, vars))
    last = m.index + m[0].length
  }
  if (last < text.length) parts.push(text.slice(last))
  return (ctx) => {
    let out = ''
    for (const p of parts) out += typeof p === 'string' ? p : p(ctx)
    return out
  }
}

function placeholder(
  expr: string,
  columns: readonly string[] | undefined,
  fail: (reason: string) => never,
  vars: ReadonlySet<string>,
): (ctx: TemplateContext) => string {
  const words = expr.split(/\s+/)
  if (words.length === 1 && vars.has(words[0]!)) {
    const name = words[0]!
    return (ctx) => ctx.vars?.[name] ?? ''
  }
  switch (words[0]) {
    case 'uuid':
      if (words.length !== 1) fail(`{{${expr}}}: uuid takes no argument`)
      return () => randomUUID()
    case 'int': {
      const min = Number(words[1])
      const max = Number(words[2])
      if (words.length !== 3 || !Number.isInteger(min) || !Number.isInteger(max) || max < min) {
        fail(`{{${expr}}}: expected {{int <min> <max>}} with integers min <= max`)
      }
      const span = max - min + 1
      return () => String(min + Math.floor(Math.random() * span))
    }
    case 'csv': {
      const column = words.slice(1).join(' ')
      if (!columns) fail(`{{${expr}}}: the scenario has no "csv" file`)
      if (!column || !columns.includes(column)) {
        fail(`{{${expr}}}: unknown CSV column "${column}" (columns: ${columns.join(', ')})`)
      }
      return (ctx) => ctx.row?.[column] ?? ''
    }
    default:
      return fail(
        `unknown placeholder {{${expr}}} (allowed: {{uuid}}, {{int <min> <max>}}, {{csv <column>}}, or a variable captured by an earlier step${vars.size > 0 ? `: ${[...vars].join(', ')}` : ''})`,
      )
  }
}

export function render(t: Template, ctx: TemplateContext): string {
  return typeof t === 'string' ? t : t(ctx)
}

/** Minimal RFC 4180 CSV: a header row, quoted fields with "" escapes, comma separated. */
export function parseCsv(text: string): { columns: string[]; rows: Array<Record<string, string>> } {
  const records: string[][] = []
  let field = ''
  let record: string[] = []
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"'
          i++
        } else quoted = false
      } else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      record.push(field)
      field = ''
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++
      record.push(field)
      field = ''
      if (record.length > 1 || record[0] !== '') records.push(record)
      record = []
    } else field += c
  }
  if (field !== '' || record.length > 0) {
    record.push(field)
    records.push(record)
  }
  const columns = (records.shift() ?? []).map((c) => c.trim())
  const rows = records.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i] ?? ''])))
  return { columns, rows }
}
