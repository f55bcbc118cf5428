// SQL fingerprinting: literals and parameters to `?`, IN lists and VALUES rows collapsed, comments
// dropped, whitespace and case folded. Also extracts the operation, the tables and the parameter count.

export interface SqlInfo {
  /** Normalised statement without literals (`select * from t where id = ?`). */
  fingerprint: string
  /** First verb, upper case: SELECT, INSERT, UPDATE, DELETE, ... */
  operation: string
  /** Low-cardinality summary: `SELECT orders`. */
  summary: string
  /** Tables named in the statement (lower case, schema dropped; quoted names kept as written). */
  tables: string[]
  /** Statement only reads (SELECT / WITH ... SELECT / EXPLAIN / VALUES / read PRAGMA). */
  isRead: boolean
  /** Positional parameters expected (`?` count or highest `$n`); -1 when named or mixed. */
  paramCount: number
  /** Parameters PostgreSQL expects: the highest `$n` (`?`, `?|`, `?&` are jsonb operators there). */
  pgParamCount: number
  /** A read, or a write with RETURNING: the driver must fetch rows. */
  returnsRows: boolean
  /** More than one statement (`;` outside literals): cannot be a prepared statement. */
  multiStatement: boolean
  /** Tokens after normalisation (used by analyze()). */
  tokens: string[]
}

const KEYWORDS = new Set(
  (
    'select from where join inner left right full outer cross natural on using as and or not in is null like ilike ' +
    'between exists group by order having limit offset union all distinct insert into values update set delete ' +
    'returning with recursive create table index drop alter if lateral only case when then else end asc desc ' +
    'nulls first last default conflict do nothing replace ignore window over partition fetch next rows row ' +
    'for share nowait skip locked truncate explain query plan analyze pragma begin commit rollback view'
  ).split(' '),
)

const isIdentStart = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c > 127
const isIdentPart = (c: number): boolean => isIdentStart(c) || (c >= 48 && c <= 57) || c === 36
const isDigit = (c: number): boolean => c >= 48 && c <= 57

function tokenize(sql: string): {
  tokens: string[]
  positional: number
  dollarMax: number
  pgMax: number
  named: boolean
} {
  const tokens: string[] = []
  let positional = 0
  let dollarMax = 0
  let pgMax = 0
  let named = false
  const n = sql.length
  let i = 0
  while (i < n) {
    const c = sql.charCodeAt(i)
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12) {
      i++
    } else if (c === 45 && sql.charCodeAt(i + 1) === 45) {
      while (i < n && sql.charCodeAt(i) !== 10) i++
    } else if (c === 47 && sql.charCodeAt(i + 1) === 42) {
      const end = sql.indexOf('*/', i + 2)
      i = end === -1 ? n : end + 2
    } else if (
      c === 39 ||
      ((c === 69 || c === 101 || c === 88 || c === 120) && sql.charCodeAt(i + 1) === 39)
    ) {
      // 'string', E'escape', X'hex'
      i += c === 39 ? 1 : 2
      while (i < n) {
        const d = sql.charCodeAt(i)
        if (d === 92 && c !== 39) i += 2
        else if (d === 39) {
          if (sql.charCodeAt(i + 1) === 39) i += 2
          else break
        } else i++
      }
      i++
      tokens.push('?')
    } else if (c === 34 || c === 96 || c === 91) {
      const close = c === 91 ? 93 : c
      let j = i + 1
      while (j < n && sql.charCodeAt(j) !== close) j++
      tokens.push(sql.slice(i, j + 1))
      i = j + 1
    } else if (isDigit(c) || (c === 46 && isDigit(sql.charCodeAt(i + 1)))) {
      i++
      while (i < n) {
        const d = sql.charCodeAt(i)
        if (isDigit(d) || d === 46 || d === 120 || d === 88 || (d >= 97 && d <= 102) || (d >= 65 && d <= 70))
          i++
        else if ((d === 43 || d === 45) && (sql.charCodeAt(i - 1) | 32) === 101) i++
        else break
      }
      tokens.push('?')
    } else if (isIdentStart(c)) {
      let j = i + 1
      while (j < n && isIdentPart(sql.charCodeAt(j))) j++
      tokens.push(sql.slice(i, j).toLowerCase())
      i = j
    } else if (c === 63) {
      // ? or ?NNN
      let j = i + 1
      while (j < n && isDigit(sql.charCodeAt(j))) j++
      if (j > i + 1) {
        const k = Number(sql.slice(i + 1, j))
        if (k > dollarMax) dollarMax = k
      } else positional++
      tokens.push('?')
      i = j
    } else if (c === 36) {
      // $1, $name, $$dollar quoted$$, $tag$...$tag$
      let j = i + 1
      if (isDigit(sql.charCodeAt(j))) {
        while (j < n && isDigit(sql.charCodeAt(j))) j++
        const k = Number(sql.slice(i + 1, j))
        if (k > dollarMax) dollarMax = k
        if (k > pgMax) pgMax = k
        tokens.push('?')
        i = j
        continue
      }
      while (j < n && isIdentPart(sql.charCodeAt(j)) && sql.charCodeAt(j) !== 36) j++
      if (sql.charCodeAt(j) === 36) {
        const tag = sql.slice(i, j + 1)
        const end = sql.indexOf(tag, j + 1)
        i = end === -1 ? n : end + tag.length
        tokens.push('?')
      } else {
        named = true
        tokens.push('?')
        i = j
      }
    } else if (
      (c === 58 || c === 64) &&
      isIdentStart(sql.charCodeAt(i + 1)) &&
      sql.charCodeAt(i - 1) !== 58
    ) {
      // :name or @name (SQLite named parameters); `::type` casts are left alone above
      let j = i + 1
      while (j < n && isIdentPart(sql.charCodeAt(j))) j++
      named = true
      tokens.push('?')
      i = j
    } else {
      // Operators: group runs of operator characters (<=, <>, ::, ||, !=).
      let j = i + 1
      const ops = '<>=!|:&~^%*/+-'
      if (ops.includes(sql[i]!)) while (j < n && ops.includes(sql[j]!) && !sql.startsWith('--', j)) j++
      tokens.push(sql.slice(i, j))
      i = j
    }
  }
  return { tokens, positional, dollarMax, pgMax, named }
}

/** Collapses `in (?, ?, ?)` to `in (?...)` and repeated VALUES rows to one. */
function collapse(tokens: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!
    out.push(t)
    if ((t !== 'in' && t !== 'values') || tokens[i + 1] !== '(') continue
    let j = i + 1
    let end = -1
    let group: string[] | undefined
    let same = true
    while (tokens[j] === '(') {
      let k = j + 1
      let depth = 1
      while (k < tokens.length && depth > 0) {
        if (tokens[k] === '(') depth++
        else if (tokens[k] === ')') depth--
        k++
      }
      const body = tokens.slice(j, k)
      if (!body.every((x) => x === '?' || x === ',' || x === '(' || x === ')')) break
      if (group === undefined) group = body
      else if (body.join(' ') !== group.join(' ')) same = false
      end = k
      if (t === 'in' || tokens[k] !== ',' || tokens[k + 1] !== '(') break
      j = k + 1
    }
    if (end === -1 || !same || group === undefined) continue
    if (t === 'in') out.push('(', '?...', ')')
    else out.push(...group)
    i = end - 1
  }
  return out
}

function join(tokens: string[]): string {
  let s = ''
  let prev = ''
  for (const t of tokens) {
    const call = t === '(' && isIdentStart(prev.charCodeAt(0)) && !KEYWORDS.has(prev) // f(x), t(a, b)
    if (s !== '' && !(t === ',' || t === ')' || t === '.' || prev === '(' || prev === '.' || call)) s += ' '
    s += t
    prev = t
  }
  return s
}

function cleanName(token: string): string {
  const c = token[0]
  if (c === '`' || c === '[') return token.slice(1, -1)
  if (c === '"') return token.slice(1, -1)
  return token
}

const isName = (t: string | undefined): t is string =>
  t !== undefined &&
  t !== '?' &&
  (t[0] === '"' || t[0] === '`' || t[0] === '[' || (isIdentStart(t.charCodeAt(0)) && !KEYWORDS.has(t)))

function readTables(tokens: string[]): string[] {
  const tables = new Set<string>()
  const ctes = new Set<string>()
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!
    if (
      (t === 'with' || t === ',') &&
      isName(tokens[i + 1]) &&
      tokens[i + 2] === 'as' &&
      tokens[i + 3] === '('
    ) {
      ctes.add(cleanName(tokens[i + 1]!))
    }
    let listy = false
    let j = -1
    if (t === 'from') {
      listy = true
      j = i + 1
    } else if (t === 'join' || t === 'into' || t === 'update' || t === 'table') {
      j = i + 1
      if (tokens[j] === 'if') j += tokens[j + 1] === 'not' ? 3 : 2
      if (tokens[j] === 'only') j++
    }
    if (j === -1) continue
    while (isName(tokens[j])) {
      let name = tokens[j]!
      if (tokens[j + 1] === '.' && isName(tokens[j + 2])) {
        name = tokens[j + 2]!
        j += 2
      }
      const clean = cleanName(name)
      if (!ctes.has(clean)) tables.add(clean)
      j++
      if (!listy) break
      if (tokens[j] === 'as') j++
      if (isName(tokens[j])) j++
      if (tokens[j] !== ',') break
      j++
    }
  }
  return [...tables]
}

function readOperation(tokens: string[]): string {
  const first = tokens[0] ?? ''
  if (first !== 'with') return first.toUpperCase()
  let depth = 0
  for (let i = 1; i < tokens.length; i++) {
    const t = tokens[i]!
    if (t === '(') depth++
    else if (t === ')') depth--
    else if (depth === 0 && (t === 'select' || t === 'insert' || t === 'update' || t === 'delete')) {
      return t.toUpperCase()
    }
  }
  return 'SELECT'
}

const READ_OPS = new Set(['SELECT', 'EXPLAIN', 'VALUES', 'SHOW', 'TABLE'])

/** Fingerprints one statement (pure; callers cache by SQL text). */
export function fingerprint(sql: string): SqlInfo {
  const { tokens, positional, dollarMax, pgMax, named } = tokenize(sql)
  const collapsed = collapse(tokens)
  const operation = readOperation(collapsed)
  const tables = readTables(collapsed)
  const isRead =
    (READ_OPS.has(operation) && !(operation === 'SELECT' && collapsed.includes('into'))) ||
    (operation === 'PRAGMA' && !collapsed.includes('='))
  let paramCount = -1
  if (!named && !(positional > 0 && dollarMax > 0)) paramCount = positional > 0 ? positional : dollarMax
  return {
    fingerprint: join(collapsed),
    operation,
    summary: tables.length > 0 ? `${operation} ${tables[0]}` : operation,
    tables,
    isRead,
    paramCount,
    pgParamCount: pgMax,
    returnsRows: isRead || collapsed.includes('returning'),
    multiStatement: collapsed.includes(';'),
    tokens: collapsed,
  }
}
