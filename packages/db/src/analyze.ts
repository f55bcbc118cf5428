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
  | 'full-index-scan'
  | 'n-plus-one'

export interface Finding {
  kind: FindingKind
  message: string
  table?: string
  /** The first (often only) statement of `suggestions`. */
  suggestion?: string
  /**
   * Every statement to run, each on its own (full scans: a `CREATE INDEX` per OR branch; a pg_trgm GIN index for
   * `LIKE '%x%'` on PostgreSQL; an FTS5 table on SQLite, queried as `rewrite` says).
   */
  suggestions?: string[]
  /** SQLite `LIKE '%x%'`: the statement to query the suggested FTS5 table with instead. */
  rewrite?: string
}

export type SqlSystem = 'sqlite' | 'postgresql'

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
  /** Column name, or an expression such as `lower(email)`. */
  name: string
  equality: boolean
  /** The column under LIKE/ILIKE/GLOB. */
  like?: boolean
}

/** Top-level `or` positions of [start, end) (depth 0 relative to the range). */
function topLevelOr(tokens: string[], start: number, end: number): number[] {
  const out: number[] = []
  let depth = 0
  for (let i = start; i < end; i++) {
    if (tokens[i] === '(') depth++
    else if (tokens[i] === ')') depth--
    else if (depth === 0 && tokens[i] === 'or') out.push(i)
  }
  return out
}

/** Strips one pair of parentheses wrapping the whole range. */
function unwrap(tokens: string[], start: number, end: number): [number, number] {
  while (tokens[start] === '(' && tokens[end - 1] === ')') {
    let depth = 0
    let closes = -1
    for (let i = start; i < end; i++) {
      if (tokens[i] === '(') depth++
      else if (tokens[i] === ')') depth--
      if (depth === 0) {
        closes = i
        break
      }
    }
    if (closes !== end - 1) break
    start++
    end--
  }
  return [start, end]
}

const EXPRESSION_FUNCTIONS = new Set(['lower', 'upper', 'trim', 'date', 'coalesce', 'abs', 'length'])

/** AND-level filter columns of [start, end): a parenthesised OR group is skipped (no composite index serves it). */
function filterColumns(tokens: string[], range: [number, number] | undefined = whereRange(tokens)): Column[] {
  if (range === undefined) return []
  const out: Column[] = []
  for (let i = range[0]; i < range[1]; i++) {
    if (tokens[i] === '(') {
      let depth = 0
      let j = i
      for (; j < range[1]; j++) {
        if (tokens[j] === '(') depth++
        else if (tokens[j] === ')') {
          depth--
          if (depth === 0) break
        }
      }
      if (topLevelOr(tokens, i + 1, j).length > 0 || tokens[i + 1] === 'select') i = j
      continue
    }
    const fn = tokens[i]!
    if (EXPRESSION_FUNCTIONS.has(fn) && tokens[i + 1] === '(' && isIdent(tokens[i + 2])) {
      // lower(col) = ? / lower(t.col) = ?: an expression index serves it.
      let k = i + 2
      let qualifier: string | undefined
      if (tokens[k + 1] === '.' && isIdent(tokens[k + 2])) {
        qualifier = tokens[k]
        k += 2
      }
      const op = tokens[k + 2]
      if (tokens[k + 1] === ')' && op !== undefined && COMPARISON.has(op)) {
        out.push({ qualifier, name: `${fn}(${tokens[k]})`, equality: EQUALITY.has(op) })
        i = k + 2
        continue
      }
    }
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
    if (op !== undefined && COMPARISON.has(op) && tokens[i - 1] !== '.' && tokens[next] !== '(') {
      const like = op === 'like' || op === 'ilike' || op === 'glob'
      out.push({ qualifier, name, equality: EQUALITY.has(op), like })
      i = next
    }
  }
  return out
}

/**
 * LIKE patterns by column (last name part, lower case): `contains` when the pattern starts with a wildcard
 * (`'%x%'`, `'_x'`), `prefix` when it has one later (`'x%'`). Literal patterns and positional parameters.
 */
export function likePatterns(sql: string, params: Params): Map<string, 'contains' | 'prefix'> {
  const out = new Map<string, 'contains' | 'prefix'>()
  const text = sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, '')
  const re = /([\w."`[\]]+)\s+(?:not\s+)?(?:i?like)\s+(?:'((?:[^']|'')*)'|\$(\d+)|\?(\d*))/gi
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    let pattern: unknown
    if (m[2] !== undefined) pattern = m[2]
    else if (Array.isArray(params)) {
      let index: number
      if (m[3] !== undefined) index = Number(m[3]) - 1
      else if (m[4] !== undefined && m[4] !== '') index = Number(m[4]) - 1
      else
        index = (
          text
            .slice(0, m.index + m[0].length - 1)
            .replace(/'(?:[^']|'')*'/g, '')
            .match(/\?(?!\d)/g) ?? []
        ).length
      pattern = params[index]
    }
    if (typeof pattern !== 'string') continue
    const column = m[1]!
      .split('.')
      .at(-1)!
      .replace(/["`[\]]/g, '')
      .toLowerCase()
    if (/^[%_]/.test(pattern)) out.set(column, 'contains')
    else if (/[%_]/.test(pattern) && !out.has(column)) out.set(column, 'prefix')
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

const clean = (s: string) => s.replace(/["`[\]]/g, '')
const indexName = (table: string, cols: string[], suffix = '') =>
  `idx_${clean(table)}_${cols.map((c) => clean(c).replace(/\W+/g, '_').replace(/_+$/, '')).join('_')}`.slice(
    0,
    60 - suffix.length,
  ) + suffix

export interface SuggestContext {
  system?: SqlSystem
  likes?: Map<string, 'contains' | 'prefix'>
}

/** What to suggest for one table: index statements, or why none helps (plus an FTS5 rewrite on SQLite). */
export interface Suggestion {
  statements: string[]
  note?: string
  rewrite?: string
}

/** `CREATE INDEX` for `table`: equality filter columns, then range columns, then ORDER BY columns. */
export function suggestIndex(info: SqlInfo, table: string, ctx: SuggestContext = {}): string | undefined {
  return suggestIndexes(info, table, ctx).statements[0]
}

/** The statements for `table`: one composite per OR branch (or one for an AND filter). */
export function suggestIndexes(info: SqlInfo, table: string, ctx: SuggestContext = {}): Suggestion {
  const range = whereRange(info.tokens)
  if (range !== undefined) {
    const [start, end] = unwrap(info.tokens, range[0], range[1])
    const ors = topLevelOr(info.tokens, start, end)
    if (ors.length > 0) {
      const bounds = [start - 1, ...ors, end]
      const statements: string[] = []
      const notes: string[] = []
      for (let b = 0; b < bounds.length - 1; b++) {
        const branch = unwrap(info.tokens, bounds[b]! + 1, bounds[b + 1]!)
        const s = suggestFor(info, table, ctx, filterColumns(info.tokens, branch), false)
        for (const x of s.statements) if (!statements.includes(x)) statements.push(x)
        if (s.note !== undefined) notes.push(s.note)
        if (s.statements.length === 0 && s.note === undefined) return { statements: [] } // a branch no index serves
      }
      const out: Suggestion = { statements }
      if (notes.length > 0) out.note = notes.join(' ')
      return out
    }
  }
  return suggestFor(info, table, ctx, filterColumns(info.tokens), true)
}

function suggestFor(
  info: SqlInfo,
  table: string,
  ctx: SuggestContext,
  columns: Column[],
  withOrder: boolean,
): Suggestion {
  const aliases = aliasMap(info.tokens)
  const single = info.tables.length <= 1
  const belongs = (c: Column) =>
    c.qualifier === undefined ? single || info.tables[0] === table : aliases.get(c.qualifier) === table
  const filters = columns.filter(belongs)
  const likeKind = (c: Column) => (c.like ? ctx.likes?.get(clean(c.name).toLowerCase()) : undefined)
  const contains = filters.filter((c) => likeKind(c) === 'contains')
  const cols: string[] = []
  const add = (name: string) => {
    if (!cols.includes(name)) cols.push(name)
  }
  const pattern = (c: Column) => {
    if (likeKind(c) !== 'prefix') return c.name
    // A prefix LIKE uses a b-tree only with pattern ordering: text_pattern_ops (PostgreSQL, unless the
    // collation is "C"), NOCASE (SQLite: LIKE is case-insensitive by default).
    return ctx.system === 'postgresql' ? `${c.name} text_pattern_ops` : `${c.name} COLLATE NOCASE`
  }
  for (const c of filters) if (c.equality) add(c.name)
  for (const c of filters) if (!c.equality && likeKind(c) !== 'contains') add(pattern(c))
  if (withOrder) for (const c of orderColumns(info.tokens).filter(belongs)) add(c.name)
  if (cols.length > 0) {
    const s: Suggestion = {
      statements: [`CREATE INDEX ${indexName(table, cols)} ON ${table} (${cols.join(', ')})`],
    }
    if (contains.length > 0)
      s.note = `no b-tree index helps LIKE '%...' on ${contains.map((c) => c.name).join(', ')}.`
    return s
  }
  if (contains.length === 0) return { statements: [] }
  const names = contains.map((c) => clean(c.name))
  if (ctx.system === 'postgresql') {
    return {
      statements: names.map(
        (n) => `CREATE INDEX ${indexName(table, [n], '_trgm')} ON ${table} USING gin (${n} gin_trgm_ops)`,
      ),
      note: `no b-tree index helps LIKE '%...'; a pg_trgm GIN index does (needs CREATE EXTENSION IF NOT EXISTS pg_trgm).`,
    }
  }
  if (ctx.system === 'sqlite') {
    const fts = `${clean(table)}_fts`
    const where = names.map((n) => `${n} LIKE ?`).join(' AND ')
    return {
      statements: [
        `CREATE VIRTUAL TABLE ${fts} USING fts5(${names.join(', ')}, content='${clean(table)}', tokenize='trigram')`,
      ],
      note:
        `no b-tree index helps LIKE '%...'; an FTS5 trigram table does: fill it with ` +
        `INSERT INTO ${fts}(${fts}) VALUES('rebuild'), keep it in sync with triggers, and query it (rewrite).`,
      rewrite: `SELECT rowid FROM ${fts} WHERE ${where}`,
    }
  }
  return { statements: [], note: "no b-tree index helps LIKE '%...'." }
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

export function scanFindings(info: SqlInfo, scans: FullScan[], ctx: SuggestContext = {}): Finding[] {
  const seen = new Set<string>()
  const out: Finding[] = []
  for (const scan of scans) {
    const key = `${scan.table}\u0000${scan.index === undefined ? '' : 'index'}`
    if (seen.has(key)) continue
    seen.add(key)
    const s = suggestIndexes(info, scan.table, ctx)
    const finding: Finding =
      scan.index === undefined
        ? { kind: 'full-scan', table: scan.table, message: `Full scan of ${scan.table} (${scan.detail})` }
        : {
            kind: 'full-index-scan',
            table: scan.table,
            message: `Full scan of index ${scan.index} of ${scan.table} (${scan.detail}): every entry is read`,
          }
    if (s.note !== undefined) finding.message += `; ${s.note}`
    if (s.statements.length > 0) {
      finding.suggestion = s.statements[0]!
      finding.suggestions = s.statements
    }
    if (s.rewrite !== undefined) finding.rewrite = s.rewrite
    out.push(finding)
  }
  return out
}
