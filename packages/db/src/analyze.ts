// Static findings on a statement plus full-scan findings from its plan, with suggested indexes.
import { aliasMap } from './drivers/sqlite-plan.ts'
import type { FullScan, Params } from './drivers/types.ts'
import type { SqlInfo } from './fingerprint.ts'

export type FindingKind =
  | 'select-star'
  | 'missing-where'
  | 'leading-wildcard'
  | 'function-on-column'
  | 'offset-pagination'
  | 'full-scan'

export interface Finding {
  kind: FindingKind
  message: string
  table?: string
  /** A `CREATE INDEX` statement built from the filter and order columns (full scans only). */
  suggestion?: string
}

export interface Analysis {
  fingerprint: string
  findings: Finding[]
  /** The raw plan the findings were read from. */
  plan: unknown
}

const COMPARISON = new Set([
  '=',
  '==',
  '<',
  '>',
  '<=',
  '>=',
  '<>',
  '!=',
  'in',
  'like',
  'ilike',
  'between',
  'is',
  'glob',
])
const EQUALITY = new Set(['=', '==', 'in', 'is'])
const CLAUSE_END = new Set([
  'group',
  'order',
  'limit',
  'offset',
  'having',
  'window',
  'union',
  'returning',
  ';',
])

/** Token range of the top-level WHERE clause: [start, end). */
function whereRange(tokens: string[]): [number, number] | undefined {
  let depth = 0
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]
    if (t === '(') depth++
    else if (t === ')') depth--
    else if (t === 'where' && depth === 0) {
      let j = i + 1
      let d = 0
      for (; j < tokens.length; j++) {
        const u = tokens[j]!
        if (u === '(') d++
        else if (u === ')') d--
        if (d === 0 && CLAUSE_END.has(u)) break
      }
      return [i + 1, j]
    }
  }
  return undefined
}

const isIdent = (t: string | undefined): t is string => t !== undefined && /^[a-z_"`[][\w"`\]]*$/.test(t)

interface Column {
  qualifier?: string
  name: string
  equality: boolean
}

function filterColumns(tokens: string[]): Column[] {
  const range = whereRange(tokens)
  if (range === undefined) return []
  const out: Column[] = []
  for (let i = range[0]; i < range[1]; i++) {
    let qualifier: string | undefined
    let name = tokens[i]!
    let next = i + 1
    if (tokens[i + 1] === '.' && isIdent(tokens[i + 2])) {
      qualifier = name
      name = tokens[i + 2]!
      next = i + 3
    }
    if (!isIdent(name) || name === 'not' || name === 'and' || name === 'or') continue
    let op = tokens[next]
    if (op === 'not') op = tokens[next + 1]
    if (op !== undefined && COMPARISON.has(op) && tokens[i - 1] !== '.') {
      out.push({ qualifier, name, equality: EQUALITY.has(op) })
      i = next
    }
  }
  return out
}

function orderColumns(tokens: string[]): Column[] {
  const out: Column[] = []
  let depth = 0
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]
    if (t === '(') depth++
    else if (t === ')') depth--
    if (depth !== 0 || t !== 'order' || tokens[i + 1] !== 'by') continue
    for (let j = i + 2; j < tokens.length && !CLAUSE_END.has(tokens[j]!); j++) {
      const u = tokens[j]!
      if (u === ',' || u === 'asc' || u === 'desc' || u === 'nulls' || u === 'first' || u === 'last') continue
      if (tokens[j + 1] === '.' && isIdent(tokens[j + 2])) {
        out.push({ qualifier: u, name: tokens[j + 2]!, equality: false })
        j += 2
      } else if (isIdent(u) && tokens[j + 1] !== '(') out.push({ name: u, equality: false })
    }
  }
  return out
}

/** `CREATE INDEX` for `table`: equality filter columns, then range columns, then ORDER BY columns. */
export function suggestIndex(info: SqlInfo, table: string): string | undefined {
  const aliases = aliasMap(info.tokens)
  const single = info.tables.length <= 1
  const belongs = (c: Column) =>
    c.qualifier === undefined ? single || info.tables[0] === table : aliases.get(c.qualifier) === table
  const filters = filterColumns(info.tokens).filter(belongs)
  const cols: string[] = []
  const add = (name: string) => {
    if (!cols.includes(name)) cols.push(name)
  }
  for (const c of filters) if (c.equality) add(c.name)
  for (const c of filters) if (!c.equality) add(c.name)
  for (const c of orderColumns(info.tokens).filter(belongs)) add(c.name)
  if (cols.length === 0) return undefined
  const clean = (s: string) => s.replace(/["`[\]]/g, '')
  const indexName = `idx_${clean(table)}_${cols.map(clean).join('_')}`.slice(0, 60)
  return `CREATE INDEX ${indexName} ON ${table} (${cols.join(', ')})`
}

/** Findings that need only the statement text (and its parameters for LIKE patterns). */
export function staticFindings(sql: string, params: Params, info: SqlInfo): Finding[] {
  const t = info.tokens
  const findings: Finding[] = []
  for (let i = 0; i < t.length - 1; i++) {
    if (t[i] === 'select' && (t[i + 1] === '*' || (t[i + 2] === '.' && t[i + 3] === '*'))) {
      findings.push({
        kind: 'select-star',
        message: 'SELECT * reads every column; list the columns you need',
      })
      break
    }
  }
  if ((info.operation === 'UPDATE' || info.operation === 'DELETE') && !t.includes('where')) {
    findings.push({
      kind: 'missing-where',
      table: info.tables[0],
      message: `${info.operation} without WHERE touches every row of ${info.tables[0] ?? 'the table'}`,
    })
  }
  const literalWildcard = /\blike\s+'%/i.test(sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ''))
  const paramWildcard =
    Array.isArray(params) &&
    t.some((x, i) => (x === 'like' || x === 'ilike') && t[i + 1] === '?') &&
    params.some((p) => typeof p === 'string' && p.startsWith('%'))
  if (literalWildcard || paramWildcard) {
    findings.push({ kind: 'leading-wildcard', message: "LIKE with a leading '%' cannot use a b-tree index" })
  }
  const range = whereRange(t)
  if (range !== undefined) {
    for (let i = range[0]; i < range[1]; i++) {
      if (!isIdent(t[i]) || t[i + 1] !== '(' || t[i] === 'in' || t[i] === 'exists' || t[i] === 'not') continue
      let depth = 0
      let j = i + 1
      let hasColumn = false
      for (; j < range[1]; j++) {
        if (t[j] === '(') depth++
        else if (t[j] === ')') {
          depth--
          if (depth === 0) break
        } else if (isIdent(t[j]) && t[j + 1] !== '(') hasColumn = true
      }
      const op = t[j + 1]
      if (hasColumn && op !== undefined && COMPARISON.has(op)) {
        findings.push({
          kind: 'function-on-column',
          message: `${t[i]}(...) on a filtered column prevents index use; index the expression or compare the raw column`,
        })
        break
      }
    }
  }
  if (t.includes('offset') || t.some((x, i) => x === 'limit' && t[i + 1] === '?' && t[i + 2] === ',')) {
    findings.push({
      kind: 'offset-pagination',
      message: 'OFFSET pagination reads and discards rows; use keyset pagination (WHERE id > ?)',
    })
  }
  return findings
}

export function scanFindings(info: SqlInfo, scans: FullScan[]): Finding[] {
  const seen = new Set<string>()
  const out: Finding[] = []
  for (const scan of scans) {
    if (seen.has(scan.table)) continue
    seen.add(scan.table)
    const suggestion = suggestIndex(info, scan.table)
    const finding: Finding = {
      kind: 'full-scan',
      table: scan.table,
      message: `Full scan of ${scan.table} (${scan.detail})`,
    }
    if (suggestion !== undefined) finding.suggestion = suggestion
    out.push(finding)
  }
  return out
}
