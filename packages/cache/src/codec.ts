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
  /** (A non-digit here reads as 0: the entry then counts as created long ago, i.e. invalidated by any stamp.) */
  get createdAt(): number {
    if (this.#createdAt < 0) this.#createdAt = Math.max(0, digits(this.#raw, 30, HEAD)) / 1000
    return this.#createdAt
  }
  /** (A non-digit here reads as 0: the entry then counts as past its grace.) */
  get graceUntil(): number {
    if (this.#graceUntil < 0) this.#graceUntil = Math.max(0, digits(this.#raw, 17, 30))
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

/** Parses up to 9 decimal digits raw[from, to) in Smi arithmetic; -1 when a character is not a digit. */
function smallDigits(raw: string, from: number, to: number): number {
  let n = 0
  for (let i = from; i < to; i++) {
    const c = (raw.charCodeAt(i) - 48) | 0
    if (c >>> 0 > 9) return -1
    n = (n * 10 + c) | 0
  }
  return n
}

/** Parses 10-18 decimal digits raw[from, to) as two Smi halves; -1 when a character is not a digit. */
function digits(raw: string, from: number, to: number): number {
  const mid = to - 8
  const hi = smallDigits(raw, from, mid)
  const lo = smallDigits(raw, mid, to)
  return hi < 0 || lo < 0 ? -1 : hi * 1e8 + lo
}

const HEAD = 4 + 13 + 13 + 16

/** Whether raw[from..] is all ASCII (then its UTF-16 length is its UTF-8 byte length). */
function isAscii(raw: string, from: number): boolean {
  for (let i = from; i < raw.length; i++) if (raw.charCodeAt(i) > 127) return false
  return true
}

/** Largest payload a compressed one may inflate to, by default (a bigger one is corrupt: a bomb). */
const MAX_INFLATED = 64 * 1024 * 1024

/** Parses a stored string; returns undefined for anything that is not a valid envelope. */
export function decodeEnvelope(raw: unknown, maxInflated: number = MAX_INFLATED): Envelope | undefined {
  if (
    typeof raw !== 'string' ||
    raw.length < HEAD + 2 ||
    raw.charCodeAt(0) !== 104 /* h */ ||
    raw.charCodeAt(1) !== 112 /* p */ ||
    raw.charCodeAt(2) !== 51 /* 3 */ ||
    smallDigits(raw, 17, 26) < 0 ||
    smallDigits(raw, 26, 35) < 0 ||
    smallDigits(raw, 35, 44) < 0 ||
    smallDigits(raw, 44, HEAD) < 0
  ) {
    return undefined
  }
  let mode = raw.charCodeAt(3)
  const expiresAt = digits(raw, 4, 17)
  let colon = HEAD
  while (colon < raw.length && colon < HEAD + 8 && raw.charCodeAt(colon) !== 58 /* : */) colon++
  const tagsLength = colon > HEAD ? smallDigits(raw, HEAD, colon) : -1
  if (
    expiresAt < 0 ||
    tagsLength < 0 ||
    raw.charCodeAt(colon) !== 58 ||
    colon + 1 + tagsLength > raw.length
  ) {
    return undefined
  }
  const tagsEnd = colon + 1 + tagsLength
  let sep = tagsEnd
  while (sep < raw.length && sep < tagsEnd + 11 && raw.charCodeAt(sep) !== 58 /* : */) sep++
  const bytes = sep > tagsEnd && sep - tagsEnd <= 9 ? smallDigits(raw, tagsEnd, sep) : -1
  if (bytes < 0 || raw.charCodeAt(sep) !== 58) return undefined
  const start = sep + 1
  // The payload must have exactly `bytes` UTF-8 bytes (a UTF-16 unit is 1-3 bytes; all-ASCII: 1 each).
  const units = raw.length - start
  if (units > bytes || units * 3 < bytes) return undefined
  if (units === bytes ? !isAscii(raw, start) : Buffer.byteLength(raw.slice(start)) !== bytes) return undefined
  let tags: string[] | undefined
  let value: unknown
  try {
    if (tagsLength > 0) {
      tags = JSON.parse(raw.slice(colon + 1, tagsEnd)) as string[]
      if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) return undefined
    }
    let payload = raw.slice(start)
    if (mode === 115 /* s */ || mode === 106 /* j */ || mode === 116 /* t */) {
      const inflated = decompressPayload(payload, maxInflated)
      if (inflated === undefined) return undefined
      payload = inflated
      mode -= 32 // the uppercase mode of the same payload
    }
    if (mode === 83 /* S */) value = payload
    else if (mode === 74 /* J */) value = JSON.parse(payload)
    else if (mode === 84 /* T */) value = JSON.parse(payload, reviver)
    else return undefined
  } catch {
    return undefined
  }
  return new DecodedEnvelope(raw, value, expiresAt, tags)
}
