// The extended-protocol messages of a pipeline, encoded into ONE buffer (one socket write, one
// allocation) instead of a write per message. Same bytes as pg-protocol's serializer: text parameters,
// a Buffer parameter in binary format, all result columns in text.

/** One statement to encode; `values` are already mapped with pg's prepareValue (string | Buffer | null). */
export interface WireStatement {
  sql: string
  /** Prepared statement name; '' for the unnamed statement. */
  name: string
  values: readonly unknown[]
  /** Send Parse first (the statement is not parsed on this connection yet). */
  parse: boolean
  /** Send Describe (portal) before Execute. */
  describe: boolean
}

const DESCRIBE_PORTAL = Buffer.from([0x44, 0, 0, 0, 6, 0x50, 0])
const EXECUTE_ALL = Buffer.from([0x45, 0, 0, 0, 9, 0, 0, 0, 0, 0])
const SYNC = Buffer.from([0x53, 0, 0, 0, 4])

/** Bytes of each value (-1: NULL); a string's UTF-8 length, computed once for sizing and writing. */
function valueLength(v: unknown): number {
  if (v === null || v === undefined) return -1
  if (v instanceof Buffer) return v.length
  return Buffer.byteLength(v as string)
}

/**
 * Parse? / Bind / Describe? / Execute for each statement, with a Sync after each (`syncEach`) or one at
 * the end.
 */
export function encodePipeline(statements: readonly WireStatement[], syncEach: boolean): Buffer {
  let size = syncEach ? 0 : SYNC.length
  const lengths: number[] = []
  for (const s of statements) {
    const nameBytes = Buffer.byteLength(s.name)
    if (s.parse) size += 1 + 4 + nameBytes + 1 + Buffer.byteLength(s.sql) + 1 + 2
    // Bind: code, length, portal '\0', name '\0', n formats, formats, n values, values, 1 result format, 0.
    size += 1 + 4 + 1 + nameBytes + 1 + 2 + 2 * s.values.length + 2 + 2 + 2
    for (const v of s.values) {
      const n = valueLength(v)
      lengths.push(n)
      size += 4 + Math.max(n, 0)
    }
    if (s.describe) size += DESCRIBE_PORTAL.length
    size += EXECUTE_ALL.length
    if (syncEach) size += SYNC.length
  }
  const buf = Buffer.allocUnsafe(size)
  let o = 0
  let li = 0
  for (const s of statements) {
    if (s.parse) {
      const start = o
      buf[o] = 0x50
      o += 5
      o += buf.write(s.name, o, 'utf8')
      buf[o++] = 0
      o += buf.write(s.sql, o, 'utf8')
      buf[o++] = 0
      o = buf.writeInt16BE(0, o)
      buf.writeInt32BE(o - start - 1, start + 1)
    }
    const start = o
    buf[o] = 0x42
    o += 5
    buf[o++] = 0 // unnamed portal
    o += buf.write(s.name, o, 'utf8')
    buf[o++] = 0
    const n = s.values.length
    o = buf.writeInt16BE(n, o)
    for (const v of s.values) o = buf.writeInt16BE(v instanceof Buffer ? 1 : 0, o)
    o = buf.writeInt16BE(n, o)
    for (const v of s.values) {
      const len = lengths[li++]!
      o = buf.writeInt32BE(len, o)
      if (len <= 0) continue
      if (v instanceof Buffer) o += v.copy(buf, o)
      else o += buf.write(v as string, o, 'utf8')
    }
    o = buf.writeInt16BE(1, o)
    o = buf.writeInt16BE(0, o)
    buf.writeInt32BE(o - start - 1, start + 1)
    if (s.describe) o += DESCRIBE_PORTAL.copy(buf, o)
    o += EXECUTE_ALL.copy(buf, o)
    if (syncEach) o += SYNC.copy(buf, o)
  }
  if (!syncEach) o += SYNC.copy(buf, o)
  return buf
}
