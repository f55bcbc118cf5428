// A minimal HTTP/1.1 client connection (plain http:, or https: over TLS with ALPN http/1.1): pre-serialised
// requests, keep-alive, pipelining, a zero-copy response parser (Content-Length, chunked, read-until-close, HEAD/204/304, interim 1xx) reading
// into one reused buffer. It does only what a load generator needs, at a fraction of a general client's CPU cost.
import { connect, isIP, type Socket } from 'node:net'
import { connect as connectTls } from 'node:tls'
import type { TransportOptions } from './transport-options.ts'
import type { Step } from './requests.ts'

export interface RawHandler {
  onStatus(status: number): void
  /** The response head as text (status line and headers); called only when the request asked for it. */
  onHead(head: string): void
  /** Body bytes in `data[start, end)`; the buffer is reused after the call: copy what must be kept. */
  onBody(data: Buffer, start: number, end: number): void
  onEnd(): void
  onError(error: Error): void
}

const HEAD = 0
const FIXED = 1
const CHUNK_SIZE = 2
const CHUNK_DATA = 3
const CHUNK_CRLF = 4
const TRAILERS = 5
const UNTIL_CLOSE = 6

const CRLF = Buffer.from('\r\n')
const CRLFCRLF = Buffer.from('\r\n\r\n')
const MAX_HEAD = 64 * 1024

// Response head scan: flags of the headers the parser needs, without building strings.
const HAS_LENGTH = 1
const CHUNKED = 2
const CLOSE = 4
let scannedLength = 0
const CONTENT_LENGTH = lower('content-length:')
const CONNECTION = lower('connection:')
const TRANSFER_ENCODING = lower('transfer-encoding:')
const CLOSE_TOKEN = lower('close')
const CHUNKED_TOKEN = lower('chunked')

function lower(text: string): number[] {
  return [...text].map((c) => c.charCodeAt(0))
}

/** Case-insensitive match of an ASCII literal (lowercase letters, '-', ':') at data[at]. */
function matches(data: Buffer, at: number, end: number, lit: readonly number[]): boolean {
  if (at + lit.length > end) return false
  for (let k = 0; k < lit.length; k++) if ((data[at + k]! | 0x20) !== lit[k]) return false
  return true
}

function contains(data: Buffer, from: number, to: number, lit: readonly number[]): boolean {
  for (let i = from; i + lit.length <= to; i++) if (matches(data, i, to, lit)) return true
  return false
}

/** Scans header lines in data[start, end) (status line first); sets scannedLength; returns flags. */
function scanHead(data: Buffer, start: number, end: number): number {
  let flags = 0
  let i = start
  while (i < end && data[i] !== 10) i++
  i++
  while (i < end) {
    let eol = i
    while (eol < end && data[eol] !== 10) eol++
    const c = data[i]! | 0x20
    if (c === 0x63) {
      if (matches(data, i, eol, CONTENT_LENGTH)) {
        let j = i + CONTENT_LENGTH.length
        while (data[j] === 0x20 || data[j] === 0x09) j++
        let n = 0
        let digits = 0
        for (let d = data[j]!; d >= 48 && d <= 57; d = data[++j]!) {
          n = n * 10 + (d - 48)
          digits++
        }
        if (digits > 0) {
          scannedLength = n
          flags |= HAS_LENGTH
        }
      } else if (
        matches(data, i, eol, CONNECTION) &&
        contains(data, i + CONNECTION.length, eol, CLOSE_TOKEN)
      ) {
        flags |= CLOSE
      }
    } else if (c === 0x74 && matches(data, i, eol, TRANSFER_ENCODING)) {
      if (contains(data, i + TRANSFER_ENCODING.length, eol, CHUNKED_TOKEN)) flags |= CHUNKED
    }
    i = eol + 1
  }
  return flags
}

interface InFlight {
  handler: RawHandler
  head: boolean
  /** Hand the response head to the handler (a header capture). */
  keepHead: boolean
}

/**
 * A transport failure of the raw client (ECONNRESET, ETIMEDOUT, HPE_*). Internal: it is never thrown, only handed
 * to `handler.onError` and counted by `code` in `result.errors` (see failure-codes.ts). Not an Error subclass, so
 * it costs no stack capture when a dead target fails thousands of requests a second.
 */
export class RawFailure implements Error {
  readonly name = 'RawFailure'
  readonly code: string
  readonly message: string
  constructor(code: string, message: string) {
    this.code = code
    this.message = message
  }
}

/** Serialises a step once (cached on the step for fixed requests). */
export function serialize(step: Step, host: string): Buffer {
  const d = step.dispatch
  let head = `${d.method} ${d.path} HTTP/1.1\r\nhost: ${host}\r\n`
  const headers = d.headers as Record<string, string> | null | undefined
  if (headers) for (const k in headers) if (k !== 'host') head += `${k}: ${headers[k]}\r\n`
  const body = typeof d.body === 'string' ? Buffer.from(d.body) : null
  if (body !== null || (d.method !== 'GET' && d.method !== 'HEAD'))
    head += `content-length: ${body?.length ?? 0}\r\n`
  head += '\r\n'
  return body === null ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head, 'latin1'), body])
}

export class RawConnection {
  /** The raw client speaks HTTP/1.1 only. */
  readonly protocol: string = 'http/1.1'
  private readonly host: string
  private readonly port: number
  private readonly hostHeader: string
  private readonly timeoutMs: number
  /** https: the TLS options (null: plain TCP). */
  private readonly tls: TransportOptions | null
  private socket: Socket | null = null
  private inflight: InFlight[] = []
  private leftover: Buffer | null = null
  private state = HEAD
  private remaining = 0
  private closeAfter = false
  private destroyed = false
  // Timeouts without a timer per socket: reads bump `progress`; sweep() runs a few times per second.
  private progress = 0
  private seen = -1
  private idleSince = 0

  constructor(url: URL, timeoutMs: number, tls: TransportOptions | null = null) {
    this.host = url.hostname.replace(/^\[|\]$/g, '')
    this.tls = url.protocol === 'https:' ? (tls ?? { insecure: false, ca: undefined, http2: false }) : null
    this.port = Number(url.port || (this.tls !== null ? 443 : 80))
    this.hostHeader = url.host
    this.timeoutMs = timeoutMs
  }

  dispatch(step: Step, handler: RawHandler): void {
    if (this.destroyed) {
      handler.onError(new RawFailure('ECONNRESET', 'connection closed'))
      return
    }
    const bytes = step.raw ?? serialize(step, this.hostHeader)
    if (step.fixed) step.raw = bytes
    const socket = this.socket ?? this.open()
    if (this.inflight.length === 0) this.progress++
    this.inflight.push({ handler, head: step.dispatch.method === 'HEAD', keepHead: step.keepHeaders })
    socket.write(bytes)
  }

  /** Opens the socket now (before the run): resolves when connected, failed, or after the timeout. */
  connect(): Promise<void> {
    if (this.destroyed || this.socket !== null) return Promise.resolve()
    const socket = this.open()
    return new Promise<void>((resolve) => {
      const ready = this.tls !== null ? 'secureConnect' : 'connect'
      const done = () => {
        clearTimeout(timer)
        socket.off(ready, done)
        socket.off('close', done)
        resolve()
      }
      const timer = setTimeout(done, this.timeoutMs)
      timer.unref()
      socket.once(ready, done)
      socket.once('close', done)
    })
  }

  destroy(): void {
    this.destroyed = true
    this.drop(new RawFailure('ECONNRESET', 'connection destroyed'))
  }

  private open(): Socket {
    const tls = this.tls
    let socket: Socket
    if (tls === null) {
      socket = connect({
        host: this.host,
        port: this.port,
        noDelay: true,
        onread: {
          buffer: Buffer.allocUnsafe(64 * 1024),
          callback: (n: number, buf: Buffer): boolean => this.read(socket, buf, n),
        },
      })
    } else {
      // TLS sockets have no onread: each 'data' chunk is parsed in place (the parser copies what it keeps).
      socket = connectTls({
        host: this.host,
        port: this.port,
        // SNI carries host names only (RFC 6066).
        ...(isIP(this.host) === 0 ? { servername: this.host } : {}),
        ALPNProtocols: ['http/1.1'],
        rejectUnauthorized: !tls.insecure,
        ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
      })
      socket.setNoDelay(true)
      socket.on('data', (buf: Buffer) => void this.read(socket, buf, buf.length))
    }
    socket.on('error', (error: Error) => {
      if (this.socket === socket) this.drop(error)
    })
    socket.on('close', () => {
      if (this.socket !== socket) return
      if (this.state === UNTIL_CLOSE && this.inflight.length > 0) {
        // The close delimits the body: the response is complete; complete() detaches the socket.
        this.closeAfter = true
        this.complete()
        return
      }
      this.drop(new RawFailure('ECONNRESET', 'other side closed'))
    })
    this.socket = socket
    this.state = HEAD
    this.leftover = null
    return socket
  }

  /** Fails the requests in flight when no byte arrived for timeoutMs (checked every sweep, a few times a second). */
  sweep(now: number): void {
    if (this.inflight.length === 0 || this.progress !== this.seen) {
      this.seen = this.progress
      this.idleSince = now
    } else if (now - this.idleSince >= this.timeoutMs) {
      this.drop(new RawFailure('ETIMEDOUT', `no response data for ${this.timeoutMs} ms`))
    }
  }

  /** Forgets the socket and fails every request in flight on it. */
  private drop(error: Error): void {
    const socket = this.socket
    this.socket = null
    this.leftover = null
    this.state = HEAD
    this.closeAfter = false
    socket?.destroy()
    const failed = this.inflight
    this.inflight = []
    for (const f of failed) f.handler.onError(error)
  }

  private complete(): void {
    const done = this.inflight.shift()!
    this.state = HEAD
    if (this.closeAfter) {
      // The server closes after this response: later requests go on a new socket.
      const socket = this.socket
      this.socket = null
      this.closeAfter = false
      const rest = this.inflight
      this.inflight = []
      socket?.destroy()
      done.handler.onEnd()
      for (const f of rest)
        f.handler.onError(new RawFailure('ECONNRESET', 'server closed a pipelined connection'))
      return
    }
    done.handler.onEnd()
  }

  // Returns false when the socket was detached while parsing (stop reading from it).
  private read(socket: Socket, buf: Buffer, n: number): boolean {
    if (this.socket !== socket) return false
    this.progress++
    let data = buf
    let end = n
    if (this.leftover !== null) {
      data = Buffer.concat([this.leftover, buf.subarray(0, n)])
      end = data.length
      this.leftover = null
    }
    let pos = 0
    while (pos < end) {
      if (this.socket !== socket) return false
      const state = this.state
      if (state === HEAD) {
        const headEnd = data.indexOf(CRLFCRLF, pos)
        if (headEnd < 0 || headEnd >= end) {
          if (end - pos > MAX_HEAD) {
            this.drop(new RawFailure('HPE_HEADER_OVERFLOW', 'response head larger than 64 KiB'))
            return false
          }
          this.leftover = Buffer.from(data.subarray(pos, end))
          return true
        }
        const current = this.inflight[0]
        if (data[pos] !== 0x48 || data[pos + 4] !== 0x2f || current === undefined) {
          this.drop(
            new RawFailure(
              'HPE_INVALID_RESPONSE',
              current ? 'invalid HTTP response' : 'unsolicited response',
            ),
          )
          return false
        }
        const status = (data[pos + 9]! - 48) * 100 + (data[pos + 10]! - 48) * 10 + (data[pos + 11]! - 48)
        const head = scanHead(data, pos, headEnd + 2)
        const headStart = pos
        pos = headEnd + 4
        if (status < 200) continue // interim response (100 Continue, 103 Early Hints)
        if (head & CLOSE) this.closeAfter = true
        current.handler.onStatus(status)
        if (current.keepHead) current.handler.onHead(data.toString('latin1', headStart, headEnd))
        if (current.head || status === 204 || status === 304) {
          this.complete()
          continue
        }
        if (head & CHUNKED) {
          this.state = CHUNK_SIZE
          continue
        }
        if (head & HAS_LENGTH) {
          this.remaining = scannedLength
          if (this.remaining === 0) this.complete()
          else this.state = FIXED
        } else this.state = UNTIL_CLOSE
      } else if (state === FIXED || state === CHUNK_DATA) {
        const take = Math.min(this.remaining, end - pos)
        this.inflight[0]!.handler.onBody(data, pos, pos + take)
        pos += take
        this.remaining -= take
        if (this.remaining === 0) {
          if (state === FIXED) this.complete()
          else this.state = CHUNK_CRLF
        }
      } else if (state === CHUNK_SIZE || state === TRAILERS) {
        const lineEnd = data.indexOf(CRLF, pos)
        if (lineEnd < 0 || lineEnd >= end) {
          this.leftover = Buffer.from(data.subarray(pos, end))
          return true
        }
        if (state === TRAILERS) {
          const empty = lineEnd === pos
          pos = lineEnd + 2
          if (empty) this.complete()
          continue
        }
        const size = Number.parseInt(data.toString('latin1', pos, lineEnd), 16)
        pos = lineEnd + 2
        if (!Number.isFinite(size) || size < 0) {
          this.drop(new RawFailure('HPE_INVALID_CHUNK_SIZE', 'invalid chunk size'))
          return false
        }
        if (size === 0) this.state = TRAILERS
        else {
          this.remaining = size
          this.state = CHUNK_DATA
        }
      } else if (state === CHUNK_CRLF) {
        if (end - pos < 2) {
          this.leftover = Buffer.from(data.subarray(pos, end))
          return true
        }
        pos += 2
        this.state = CHUNK_SIZE
      } else {
        this.inflight[0]!.handler.onBody(data, pos, end)
        pos = end
      }
    }
    return true
  }
}
