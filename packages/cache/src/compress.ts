// Compression of large L2 payloads (`l2: { redisUrl, compress }`) through node:zlib: zstd where this Node
// has it, else gzip. The compressed bytes are stored base64 (Keyv stores and Redis replies are strings),
// after a one-letter codec tag, under the lowercase mode letter of the envelope (see codec.ts).
import * as zlib from 'node:zlib'

export type CompressCodec = 'zstd' | 'gzip'

export interface CompressConfig {
  /** Payloads of at least this many UTF-8 bytes are compressed. */
  minBytes: number
  codec: CompressCodec
}

/** Whether this Node's zlib has zstd (22.15 / 23.8 and later). */
export const HAS_ZSTD: boolean = typeof zlib.zstdCompressSync === 'function'

/** Payload tag of each codec (first character of a compressed payload). */
const ZSTD = 'z'
const GZIP = 'g'
const ZSTD_OPTIONS = HAS_ZSTD ? { params: { [zlib.constants.ZSTD_c_checksumFlag]: 1 } } : undefined

/**
 * `payload` compressed (codec tag + base64), or undefined when compressing does not make it smaller.
 * zstd at its default level 3; gzip at level 6 (zlib's default).
 */
export function compressPayload(payload: string, bytes: number, c: CompressConfig): string | undefined {
  const input = Buffer.from(payload, 'utf8')
  const zstd = c.codec === 'zstd' && HAS_ZSTD
  // zstd frames carry a checksum here (gzip always has its CRC): corrupt data fails, never decodes to garbage
  const out = zstd ? zlib.zstdCompressSync(input, ZSTD_OPTIONS) : zlib.gzipSync(input)
  const packed = (zstd ? ZSTD : GZIP) + out.toString('base64')
  return packed.length < bytes ? packed : undefined
}

/**
 * The original payload of a compressed one; undefined when it is corrupt, of an unknown codec or a codec
 * this Node lacks, or inflates past `maxBytes` (a bomb).
 */
export function decompressPayload(packed: string, maxBytes: number): string | undefined {
  const tag = packed.charAt(0)
  const data = Buffer.from(packed.slice(1), 'base64')
  try {
    if (tag === ZSTD && HAS_ZSTD) {
      return zlib.zstdDecompressSync(data, { maxOutputLength: maxBytes }).toString('utf8')
    }
    if (tag === GZIP) return zlib.gunzipSync(data, { maxOutputLength: maxBytes }).toString('utf8')
  } catch {
    return undefined
  }
  return undefined
}
