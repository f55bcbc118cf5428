// Reading SQLite's EXPLAIN QUERY PLAN: full-scan rows, resolved from aliases to table names.
import type { SqlInfo } from '../fingerprint.ts'
import type { FullScan } from './types.ts'

/** `SCAN <table-or-alias>` rows without an index are full scans. */
export function sqliteFullScans(rows: { detail: string }[], info: SqlInfo): FullScan[] {
  const aliases = aliasMap(info.tokens)
  const out: FullScan[] = []
  for (const { detail } of rows) {
    const m = /^SCAN (?:TABLE )?(\S+)(.*)$/.exec(detail)
    if (m === null) continue
    const covering = /USING COVERING INDEX (\S+)/.exec(m[2]!)
    if (covering === null && /USING INDEX|USING INTEGER PRIMARY KEY|VIRTUAL TABLE INDEX \d+:\S/.test(m[2]!))
      continue
    const name = m[1]!.toLowerCase()
    const table = aliases.get(name) ?? name
    if (table.startsWith('(') || /^subquery/.test(table)) continue
    out.push(covering === null ? { table, detail } : { table, detail, index: covering[1]! })
  }
  return out
}

/** alias -> table from `from/join <table> [as] <alias>` token runs. */
export function aliasMap(tokens: string[]): Map<string, string> {
  const map = new Map<string, string>()
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]
    if (t !== 'from' && t !== 'join' && t !== ',' && t !== 'update') continue
    let j = i + 1
    let table = tokens[j]
    if (table === undefined || !/^[a-z_"`[]/.test(table)) continue
    if (tokens[j + 1] === '.') {
      j += 2
      table = tokens[j]!
    }
    table = table.replace(/^["`[]|["`\]]$/g, '')
    map.set(table, table)
    let a = tokens[j + 1]
    if (a === 'as') a = tokens[j + 2]
    if (a !== undefined && /^[a-z_][a-z0-9_]*$/.test(a) && !RESERVED.has(a)) map.set(a, table)
  }
  return map
}

const RESERVED = new Set([
  'where',
  'join',
  'inner',
  'left',
  'right',
  'on',
  'order',
  'group',
  'limit',
  'set',
  'full',
  'cross',
  'natural',
  'using',
  'offset',
  'having',
  'union',
  'window',
  'returning',
  'values',
  'select',
  'outer',
])
