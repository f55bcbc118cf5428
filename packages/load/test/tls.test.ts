// TLS and protocol: https targets with a self-signed certificate (refused unless --insecure or --ca), HTTP/2 only
// when asked (h2 over ALPN, h2c on http:), the protocol used recorded in the result. Real servers on 127.0.0.1.
import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer as createHttp2Server, createSecureServer } from 'node:http2'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo, Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InvalidOptionError } from '@hotpath/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../src/cli.ts'
import { runLoad } from '../src/run.ts'

let dir: string
let cert: string
let key: string
let certFile: string
const servers: Server[] = []
/** HTTP versions the servers saw, by server. */
const versions = new Map<Server, string[]>()

/** A fresh self-signed certificate for 127.0.0.1 when openssl exists, else the committed test-only one. */
async function material(): Promise<void> {
  dir = await mkdtemp(join(tmpdir(), 'hotpath-load-tls-'))
  let generated = false
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    )
    generated = true
  } catch {
    // No openssl here: the committed fixture (valid for 100 years, used by no one else).
  }
  const base = generated ? dir : new URL('./fixtures/', import.meta.url).pathname
  certFile = join(base, generated ? 'cert.pem' : 'tls-cert.pem')
  cert = await readFile(certFile, 'utf8')
  key = await readFile(join(base, generated ? 'key.pem' : 'tls-key.pem'), 'utf8')
}

async function listen(server: Server): Promise<string> {
  servers.push(server)
  versions.set(server, [])
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return String((server.address() as AddressInfo).port)
}

const handler =
  (seen: () => string[]) =>
  (req: { httpVersion: string }, res: { end(body: string): void }): void => {
    seen().push(req.httpVersion)
    res.end('hello')
  }

let https1 = ''
let https2 = ''
let h2c = ''
let h1Server: Server
let h2Server: Server
let h2cServer: Server

beforeAll(async () => {
  await material()
  h1Server = createHttpsServer(
    { cert, key },
    handler(() => versions.get(h1Server)!),
  ) as unknown as Server
  https1 = `https://127.0.0.1:${await listen(h1Server)}/`
  h2Server = createSecureServer(
    { cert, key, allowHTTP1: true },
    handler(() => versions.get(h2Server)!) as never,
  ) as unknown as Server
  https2 = `https://127.0.0.1:${await listen(h2Server)}/`
  h2cServer = createHttp2Server(handler(() => versions.get(h2cServer)!) as never) as unknown as Server
  h2c = `http://127.0.0.1:${await listen(h2cServer)}/`
})
afterAll(async () => {
  for (const s of servers) {
    ;(s as unknown as { closeAllConnections?: () => void }).closeAllConnections?.()
    await new Promise<void>((resolve) => s.close(() => resolve()))
  }
  await rm(dir, { recursive: true, force: true })
})

describe('TLS', () => {
  for (const transport of ['raw', 'undici'] as const) {
    it(`${transport}: a self-signed target fails verification by default: counted errors, thresholds fail`, async () => {
      const r = await runLoad({ url: https1, transport, amount: 5, connections: 1, thresholds: ['p99<1s'] })
      expect(r.requests.responses).toBe(0)
      expect(Object.keys(r.errors).join()).toMatch(/SELF_SIGNED|CERT/)
      expect(r.thresholds[0]!.pass).toBe(false)
    })

    it(`${transport}: insecure: no verification; ca: the certificate trusted; HTTP/1.1 recorded`, async () => {
      const insecure = await runLoad({ url: https1, transport, amount: 20, connections: 2, insecure: true })
      expect(insecure.errors).toEqual({})
      expect(insecure.requests.ok).toBe(20)
      expect(insecure.protocol).toBe('http/1.1')
      expect(insecure.options).toMatchObject({ transport, insecure: true, ca: false, http2: false })
      const trusted = await runLoad({
        url: https1,
        transport,
        amount: 20,
        connections: 2,
        pipelining: 3,
        ca: cert,
      })
      expect(trusted.errors).toEqual({})
      expect(trusted.requests.ok).toBe(20)
      expect(trusted.options.ca).toBe(true)
    })
  }

  it('the raw transport is the default for https: (plain HTTP/1.1 over TLS, also to an h2-capable server)', async () => {
    const r = await runLoad({ url: https2, amount: 10, connections: 2, ca: cert })
    expect(r.options.transport).toBe('raw')
    expect(r.errors).toEqual({})
    expect(r.protocol).toBe('http/1.1')
  })

  it('an HTTP/2-capable server is spoken to in HTTP/1.1 unless http2 is asked (never silently)', async () => {
    versions.set(h2Server, [])
    const h1 = await runLoad({ url: https2, transport: 'undici', amount: 10, connections: 1, ca: cert })
    expect(h1.errors).toEqual({})
    expect(h1.protocol).toBe('http/1.1')
    expect(versions.get(h2Server)).toEqual(Array(10).fill('1.1'))
    versions.set(h2Server, [])
    // http2 chooses the undici transport.
    const h2 = await runLoad({
      url: https2,
      amount: 30,
      connections: 2,
      pipelining: 4,
      ca: cert,
      http2: true,
    })
    expect(h2.errors).toEqual({})
    expect(h2.requests.ok).toBe(30)
    expect(h2.protocol).toBe('h2')
    expect(h2.options.http2).toBe(true)
    expect(versions.get(h2Server)).toEqual(Array(30).fill('2.0'))
    // An HTTP/1.1-only https server with http2: ALPN falls back to HTTP/1.1.
    const fallback = await runLoad({ url: https1, amount: 5, connections: 1, ca: cert, http2: true })
    expect(fallback.errors).toEqual({})
    expect(fallback.protocol).toBe('http/1.1')
  })

  it('h2c: http2 on an http: URL speaks prior-knowledge HTTP/2 (undici transport by default)', async () => {
    const r = await runLoad({ url: h2c, amount: 20, connections: 2, http2: true })
    expect(r.errors).toEqual({})
    expect(r.protocol).toBe('h2')
    expect(r.options.transport).toBe('undici')
    expect(versions.get(h2cServer)!.every((v) => v === '2.0')).toBe(true)
    const error = await runLoad({ url: h2c, amount: 1, http2: true, transport: 'raw' }).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect((error as Error).message).toContain('the raw transport speaks HTTP/1.1 only')
    const ca = await runLoad({ url: https1, amount: 1, ca: 'not a pem' }).catch((e: unknown) => e)
    expect((ca as Error).message).toContain('invalid option "ca"')
  })

  it('CLI: --ca <file>, -k/--insecure, --http2; the table names the protocol; an unreadable --ca is exit 2', async () => {
    const out: string[] = []
    const stream = { write: (t: string | Uint8Array) => out.push(String(t)) > 0 }
    const io = { stdout: stream, stderr: stream, env: { CI: 'true' } }
    expect(await main(['-n', '10', '-c', '1', '--ca', certFile, '--threshold', 'errors<1', https1], io)).toBe(
      0,
    )
    expect(out.join('')).toMatch(/closed model, 1 connections x 1 pipelining, [^\n]*, http\/1\.1/)
    out.length = 0
    expect(await main(['-n', '10', '-c', '1', '-k', '--http2', '--threshold', 'errors<1', https2], io)).toBe(
      0,
    )
    expect(out.join('')).toMatch(/, h2\n/)
    out.length = 0
    expect(await main(['-n', '1', '--ca', join(dir, 'missing.pem'), https1], io)).toBe(2)
    expect(out.join('')).toContain('invalid --ca')
  })
})
