// The versioned L2 envelope { value, createdAt, expiresAt, graceUntil, tags } and its string codec.
//
// Stored form (version 3), a fixed-width header so a read needs no scanning or float parsing:
//   `hp3` <mode:1> <expiresAt:13> <graceUntil:13> <createdAt µs:16> <n>`:` <tags JSON: n chars>
//   <m>`:` <payload: m UTF-8 bytes>
// - every header character is a digit (checked); `m` makes a value cut short a miss, not a shorter value;
// - expiresAt / graceUntil: wall-clock epoch ms, 13 decimal digits; createdAt: epoch µs, 16 digits;
//   `n` is the length of the tags JSON (0 without tags);
// - mode `S`: the value is a string and the payload is that string, verbatim (no JSON round trip);
//   mode `J`: the payload is JSON; mode `T`: JSON with tagged Buffers, Uint8Arrays, Dates, Maps, Sets
//   and BigInts, revived on read;
// - modes `s`, `j`, `t`: the same payloads compressed (`l2.compress`): `z` (zstd) or `g` (gzip), then the
//   compressed bytes in base64 (compress.ts). Entries written without compression read back unchanged.
// Anything else found in L2 is a foreign or corrupt value.
import { type CompressConfig, compressPayload, decompressPayload } from './compress.ts'
import { UnserializableError } from './errors.ts'

/** The logical envelope; createdAt is a stamp() (fractional within one ms), times are epoch ms. */
export interface Envelope {
  readonly value: unknown
  readonly createdAt: number
  readonly expiresAt: number
  readonly graceUntil: number
  readonly tags: string[] | undefined
}

/**
 * A decoded envelope. expiresAt is parsed eagerly; createdAt and graceUntil only when read (a fresh,
 * untagged hit never needs them).
 */
class DecodedEnvelope implements Envelope {
  readonly value: unknown
  readonly expiresAt: number
  readonly tags: string[] | undefined
  readonly #raw: string
  #createdAt = -1
  #graceUntil = -1
  constructor(raw: string, value: unknown, expiresAt: number, tags: string[] | undefined) {
    this.#raw = raw
    this.value = value
    this.expiresAt = expiresAt
    this.tags = tags
  }
  /** Parsed on first use (only entries with tags, or stale ones, need it); decodeEnvelope checked its digits. */
  get createdAt(): number {
    if (this.#createdAt < 0) this.#createdAt = Number(this.#raw.slice(30, HEAD)) / 1000
    return this.#createdAt
  }
  /** Parsed on first use, like createdAt. */
  get graceUntil(): number {
    if (this.#graceUntil < 0) this.#graceUntil = Number(this.#raw.slice(17, 30))
    return this.#graceUntil
  }
}

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
      if (this[k] instanceof Date) {
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
      badReason ??= `contains a ${typeof v}${k === '' ? '' : ` at ${JSON.stringify(k)}`}`
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

function pad(n: number, width: number): string {
  const s = Math.round(n).toString()
  return s.length >= width ? s : '0'.repeat(width - s.length) + s
}

/** `hp3<mode><head><m>:<payload>`, the payload compressed when `compress` says so and it pays. */
function frame(mode: string, head: string, payload: string, compress: CompressConfig | undefined): string {
  const bytes = Buffer.byteLength(payload)
  if (compress !== undefined && bytes >= compress.minBytes) {
    const packed = compressPayload(payload, bytes, compress)
    if (packed !== undefined) return `hp3${mode.toLowerCase()}${head}${packed.length}:${packed}`
  }
  return `hp3${mode}${head}${bytes}:${payload}`
}

/** Serializes an envelope; throws UnserializableError for values JSON cannot carry faithfully. */
export function encodeEnvelope(key: string, env: Envelope, compress?: CompressConfig): string {
  const v = env.value
  const tags = env.tags === undefined ? '' : JSON.stringify(env.tags)
  const head = `${pad(env.expiresAt, 13)}${pad(env.graceUntil, 13)}${pad(env.createdAt * 1000, 16)}${tags.length}:${tags}`
  if (typeof v === 'string') return frame('S', head, v, compress)
  tagged = false
  badReason = undefined
  let json: string | undefined
  try {
    json =
      typeof v === 'number' || typeof v === 'boolean' || v === null
        ? JSON.stringify(v)
        : JSON.stringify(v, replacer)
  } catch (error) {
    throw new UnserializableError(key, (error as Error).message, error)
  }
  if (badReason !== undefined) throw new UnserializableError(key, badReason)
  if (json === undefined) throw new UnserializableError(key, `a ${typeof v} has no JSON form`)
  return frame(tagged ? 'T' : 'J', head, json, compress)
}

const HEAD = 4 + 13 + 13 + 16

/** `hp3`, a mode, the three times (13 + 13 + 16 digits), the tags length and its colon. */
const HEAD_RE = /^hp3[SJTsjt]\d{42}\d{1,8}:/
/** The payload's byte length (1 to 9 digits) and its colon, matched where the tags end (sticky). */
const BYTES_RE = /\d{1,9}:/y

/** Largest payload a compressed one may inflate to, by default (a bigger one is corrupt: a bomb). */
const MAX_INFLATED = 64 * 1024 * 1024

/**
 * Parses a stored string; returns undefined for anything that is not a valid envelope.
 * No charCodeAt on this path: once any subclass of String exists in the process (@redis/client defines
 * one for RESP3 verbatim strings), V8 runs every charCodeAt about 15x slower; regular expressions, slice,
 * indexOf and Number() keep their speed.
 */
export function decodeEnvelope(raw: unknown, maxInflated: number = MAX_INFLATED): Envelope | undefined {
  if (typeof raw !== 'string' || !HEAD_RE.test(raw)) return undefined
  let mode = raw[3]!
  const expiresAt = Number(raw.slice(4, 17))
  const colon = raw.indexOf(':', HEAD)
  const tagsLength = Number(raw.slice(HEAD, colon))
  const tagsEnd = colon + 1 + tagsLength
  if (tagsEnd > raw.length) return undefined
  BYTES_RE.lastIndex = tagsEnd
  if (!BYTES_RE.test(raw)) return undefined
  const start = BYTES_RE.lastIndex
  const bytes = Number(raw.slice(tagsEnd, start - 1))
  // The payload must have exactly `bytes` UTF-8 bytes (a UTF-16 unit is 1-3 bytes).
  const units = raw.length - start
  if (units > bytes || units * 3 < bytes) return undefined
  let payload = raw.slice(start)
  if (Buffer.byteLength(payload) !== bytes) return undefined
  let tags: string[] | undefined
  let value: unknown
  try {
    if (tagsLength > 0) {
      tags = JSON.parse(raw.slice(colon + 1, tagsEnd)) as string[]
      if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) return undefined
    }
    if (mode === 's' || mode === 'j' || mode === 't') {
      const inflated = decompressPayload(payload, maxInflated)
      if (inflated === undefined) return undefined
      payload = inflated
      mode = mode.toUpperCase() // the mode of the same payload uncompressed
    }
    if (mode === 'S') value = payload
    else if (mode === 'J') value = JSON.parse(payload)
    else if (mode === 'T') value = JSON.parse(payload, reviver)
    else return undefined
  } catch {
    return undefined
  }
  return new DecodedEnvelope(raw, value, expiresAt, tags)
}
