// SQL text rewrites of the SQLite driver.

const rewrites = new Map<string, string>()

/**
 * `$1`, `$2` (PostgreSQL style) to SQLite's numbered `?1`, `?2`, so one SQL text runs on both drivers (a
 * `$n` used twice binds the same value). String literals, quoted names and comments are left alone.
 */
export function rewriteDollarParams(sql: string): string {
  if (sql.indexOf('$') === -1) return sql
  let done = rewrites.get(sql)
  if (done !== undefined) return done
  let out = ''
  let from = 0
  const n = sql.length
  let i = 0
  while (i < n) {
    const c = sql.charCodeAt(i)
    if (c === 39 || c === 34 || c === 96) {
      // '...' "..." `...` (a doubled quote escapes itself, which this skip handles as two literals)
      const end = sql.indexOf(sql[i]!, i + 1)
      i = end === -1 ? n : end + 1
    } else if (c === 91) {
      const end = sql.indexOf(']', i + 1)
      i = end === -1 ? n : end + 1
    } else if (c === 45 && sql.charCodeAt(i + 1) === 45) {
      const end = sql.indexOf('\n', i + 2)
      i = end === -1 ? n : end + 1
    } else if (c === 47 && sql.charCodeAt(i + 1) === 42) {
      const end = sql.indexOf('*/', i + 2)
      i = end === -1 ? n : end + 2
    } else if (c === 36 && sql.charCodeAt(i + 1) >= 48 && sql.charCodeAt(i + 1) <= 57) {
      out += `${sql.slice(from, i)}?`
      from = i + 1
      i++
    } else i++
  }
  done = from === 0 ? sql : out + sql.slice(from)
  if (rewrites.size >= 2_000) rewrites.clear()
  rewrites.set(sql, done)
  return done
}
