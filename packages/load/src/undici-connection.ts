// The undici transport: one undici Client per connection (HTTP/1.1, or HTTP/2 when asked), its socket opened
// ahead of the run. Loaded on demand (connection.ts, loadTransport).
import { isIP, type Socket } from 'node:net'
import { buildConnector, Client } from 'undici'
import type { Connection, ResponseHandler } from './connection.ts'
import type { Step } from './requests.ts'
import type { TransportOptions } from './transport-options.ts'

export class UndiciConnection implements Connection {
  private readonly client: Client
  private readonly connector: buildConnector.connector
  private readonly url: URL
  /** A socket opened by connect(), given to the Client at its first connect. */
  private ready: Socket | null = null
  protocol: string | null = null
  constructor(origin: string, pipelining: number, timeoutMs: number, tls: TransportOptions) {
    this.url = new URL(origin)
    const h2c = tls.http2 && this.url.protocol === 'http:'
    // allowH2 is explicit: undici would otherwise offer h2 and a server could switch the protocol silently.
    const connector = buildConnector({
      timeout: timeoutMs,
      allowH2: tls.http2,
      preferH2: tls.http2,
      useH2c: h2c,
      rejectUnauthorized: !tls.insecure,
      ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
    } as buildConnector.BuildOptions)
    this.connector = (opts, callback) =>
      connector(opts, (error, socket) => {
        if (error === null && socket) {
          const alpn = (socket as Socket & { alpnProtocol?: string | false }).alpnProtocol
          this.protocol = alpn === 'h2' ? 'h2' : 'http/1.1'
        }
        ;(callback as (e: Error | null, s: Socket | null) => void)(error, socket as Socket | null)
      })
    this.client = new Client(origin, {
      pipelining,
      connectTimeout: timeoutMs,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 600_000,
      connect: (opts, callback) => {
        const socket = this.ready
        this.ready = null
        // Asynchronously, as a real connect would: undici resumes its queue from this callback.
        if (socket !== null && !socket.destroyed) process.nextTick(callback, null, socket)
        else this.connector(opts, callback)
      },
    })
  }
  connect(): Promise<void> {
    const u = this.url
    return new Promise<void>((resolve) => {
      this.connector(
        {
          hostname: u.hostname,
          host: u.host,
          protocol: u.protocol,
          port: u.port || (u.protocol === 'https:' ? '443' : '80'),
          // SNI carries host names only (RFC 6066): none for an IP address.
          servername: isIP(u.hostname.replace(/^\[|\]$/g, '')) === 0 ? u.hostname : null,
          localAddress: null,
          httpSocket: undefined,
        } as unknown as buildConnector.Options,
        (error, socket) => {
          if (error === null && socket) this.ready = socket as Socket
          resolve()
        },
      )
    })
  }
  dispatch(step: Step, handler: ResponseHandler): void {
    this.client.dispatch(step.dispatch, handler)
  }
  destroy(): void {
    this.ready?.destroy()
    this.ready = null
    this.client.destroy().catch(() => {})
  }
}
