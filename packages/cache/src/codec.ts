// The versioned L2 envelope and its string codec.
// Stored form: `hp1J<json>` (plain JSON) or `hp1T<json>` (JSON with tagged Buffers, Uint8Arrays, Dates,
// Maps, Sets and BigInts, revived on read). Anything else in L2 is a foreign or corrupt value.
import { UnserializableError } from './errors.ts'

export interface Envelope {
  v: 1
  value: unknown
  /** Wall-clock epoch ms (a stamp(): fractional within one ms). */
  createdAt: number
  expiresAt: number
  graceUntil: number
  tags: string[] | undefined
}

const PREFIX = 'hp1'
const TAG = '$hp'

let tagged = false
let badReason: string | undefined

function replacer(this: Record<string, unknown>, k: string, v: unknown): unknown {
  switch (typeof v) {
    case 'object': {
      if (v === null) return v
      const raw = this[k]
      if (raw instanceof Uint8Array) {
        tagged = true
        const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)
        return { [TAG]: Buffer.isBuffer(raw) ? 'buf' : 'u8', d: buf.toString('base64') }
      }
      if (raw instanceof Map) {
        tagged = true
        return { [TAG]: 'map', d: Array.from(raw) }
      }
      if (raw instanceof Set) {
        tagged = true
        return { [TAG]: 'set', d: Array.from(raw) }
      }
      if (Object.hasOwn(v, TAG)) {
        badReason ??= `an object has the reserved property ${TAG}`
        return undefined
      }
      return v
    }
    case 'string': {
      const raw = this[k]
      if (raw instanceof Date) {
        tagged = true
        return { [TAG]: 'date', d: v }
      }
      return v
    }
    case 'bigint':
      tagged = true
      return { [TAG]: 'big', d: v.toString() }
    case 'function':
    case 'symbol':
      badReason ??= `contains a ${typeof v} at ${JSON.stringify(k)}`
      return undefined
    default:
      return v
  }
}

function reviver(_k: string, v: unknown): unknown {
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.hasOwn(v, TAG)) {
    const { [TAG]: type, d } = v as { [TAG]: string; d: unknown }
    switch (type) {
      case 'buf':
        return Buffer.from(d as string, 'base64')
      case 'u8': {
        const b = Buffer.from(d as string, 'base64')
        return new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice()
      }
      case 'date':
        return new Date(d as string)
      case 'map':
        return new Map(d as [unknown, unknown][])
      case 'set':
        return new Set(d as unknown[])
      case 'big':
        return BigInt(d as string)
    }
  }
  return v
}

/** Serializes an envelope; throws UnserializableError for values JSON cannot carry faithfully. */
export function encodeEnvelope(key: string, env: Envelope): string {
  tagged = false
  badReason = undefined
  let json: string
  try {
    const v = env.value
    json =
      typeof v === 'object' && v !== null
        ? JSON.stringify(env, replacer)
        : typeof v === 'bigint' || typeof v === 'function' || typeof v === 'symbol'
          ? JSON.stringify(env, replacer)
          : JSON.stringify(env)
  } catch (error) {
    throw new UnserializableError(key, (error as Error).message, error)
  }
  if (badReason !== undefined) throw new UnserializableError(key, badReason)
  return (tagged ? 'hp1T' : 'hp1J') + json
}

function isTimestamp(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x)
}

/** Parses a stored string; returns undefined for anything that is not a valid envelope. */
export function decodeEnvelope(raw: unknown): Envelope | undefined {
  if (typeof raw !== 'string' || raw.length < 5 || !raw.startsWith(PREFIX)) return undefined
  const mode = raw.charCodeAt(3)
  let env: Envelope
  try {
    if (mode === 74 /* J */) env = JSON.parse(raw.slice(4)) as Envelope
    else if (mode === 84 /* T */) env = JSON.parse(raw.slice(4), reviver) as Envelope
    else return undefined
  } catch {
    return undefined
  }
  if (
    typeof env !== 'object' ||
    env === null ||
    env.v !== 1 ||
    !isTimestamp(env.createdAt) ||
    !isTimestamp(env.expiresAt) ||
    !isTimestamp(env.graceUntil) ||
    !('value' in env) ||
    (env.tags !== undefined && env.tags !== null && !Array.isArray(env.tags))
  ) {
    return undefined
  }
  if (env.tags === null) env.tags = undefined
  return env
}
