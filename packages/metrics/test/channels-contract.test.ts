// The channel contract, checked against the REAL packages both ways: every channel documented in
// docs/diagnostics-channels.md is published with the documented payload keys (and enum values), and every
// `hotpath:*` channel a package creates or publishes on is documented.
import diagnostics_channel from 'node:diagnostics_channel'
import { readFileSync } from 'node:fs'
import { syncBuiltinESMExports } from 'node:module'
import { createServer } from 'node:net'
import { eventually, redisUrl, requireRedis, startHttpServer, uniqueId } from '@hotpath/test-helpers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMetrics } from '../src/index.ts'

const DOC = new URL('../../../docs/diagnostics-channels.md', import.meta.url)

// Record every channel name created from now on (@hotpath/core's typedChannel calls
// `diagnostics_channel.channel(name)` at each package's module load): the packages are imported below,
// after this hook, so a channel no test triggers is still seen.
const created = new Set<string>()
const originalChannel = diagnostics_channel.channel
diagnostics_channel.channel = ((name: string | symbol) => {
  if (typeof name === 'string' && name.startsWith('hotpath:')) created.add(name)
  return originalChannel(name)
}) as typeof diagnostics_channel.channel
// the same for tracing channels (the packages import `tracingChannel` by name: sync the ESM binding)
const createdTracing = new Set<string>()
const originalTracingChannel = diagnostics_channel.tracingChannel
diagnostics_channel.tracingChannel = ((name: unknown) => {
  if (typeof name === 'string' && name.startsWith('hotpath:')) createdTracing.add(`tracing:${name}`)
  return originalTracingChannel(name as string)
}) as typeof diagnostics_channel.tracingChannel
syncBuiltinESMExports()

const [{ createCache }, { createDatabase, createPool, sqlite }, { createHttpClient }, { runLoad }] =
  await Promise.all([
    import('@hotpath/cache'),
    import('@hotpath/db'),
    import('@hotpath/http'),
    import('@hotpath/load'),
  ])
diagnostics_channel.channel = originalChannel
diagnostics_channel.tracingChannel = originalTracingChannel
syncBuiltinESMExports()

interface DocumentedKey {
  name: string
  optional: boolean
  /** The literal values listed (`'a' \| 'b'`), when the doc lists them. */
  values: string[] | undefined
}

/** Splits at top-level commas (not inside braces, brackets or parentheses). */
function splitTopLevel(text: string): string[] {
  const parts: string[] = []
  let depth = 0
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '{' || c === '[' || c === '(' || c === '<') depth++
    else if (c === '}' || c === ']' || c === ')' || c === '>') depth--
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i))
      start = i + 1
    }
  }
  parts.push(text.slice(start))
  return parts.map((p) => p.trim()).filter((p) => p !== '')
}

/**
 * `| \`hotpath:x:y\` | \`{ a, b?: 'x' \| 'y' }\` ... |` rows of the contract page (`prefix` `tracing:`:
 * the tracing channel rows).
 */
function documentedChannels(prefix = ''): Map<string, DocumentedKey[]> {
  const out = new Map<string, DocumentedKey[]>()
  const rowPattern = new RegExp(`^\\|\\s*\`(${prefix}hotpath:[a-z0-9:-]+)\`\\s*\\|\\s*(.*)\\|\\s*$`)
  for (const line of readFileSync(DOC, 'utf8').split('\n')) {
    const row = rowPattern.exec(line)
    if (!row) continue
    const cell = (row[2] as string).replaceAll('\\|', '|')
    const payload = /`\{(.*?)\}`/.exec(cell)
    if (!payload) throw new Error(`${row[1]}: the payload cell must start with a \`{ ... }\` code span`)
    const keys = splitTopLevel(payload[1] as string).map((part): DocumentedKey => {
      const m = /^([A-Za-z0-9_]+)(\?)?(?::\s*(.*))?$/.exec(part)
      if (!m) throw new Error(`${row[1]}: cannot read payload key ${JSON.stringify(part)}`)
      const type = m[3]?.trim()
      const literals = type === undefined ? [] : [...type.matchAll(/'([^']*)'/g)].map((x) => x[1] as string)
      const onlyLiterals = type !== undefined && /^'[^']*'(\s*\|\s*'[^']*')*$/.test(type)
      return { name: m[1] as string, optional: m[2] === '?', values: onlyLiterals ? literals : undefined }
    })
    if (out.has(row[1] as string)) throw new Error(`${row[1]} is documented twice`)
    out.set(row[1] as string, keys)
  }
  return out
}

const documented = documentedChannels()
const documentedTracing = documentedChannels('tracing:')
/** The context objects each tracing channel published, as they were at asyncEnd (or end after a throw). */
const traced = new Map<string, object[]>()
const tracingHandlers: Array<[string, Record<string, (ctx: object) => void>]> = []

function listenTracing(name: string): void {
  const list: object[] = []
  traced.set(name, list)
  const done = (ctx: object) => {
    if (!list.includes(ctx)) list.push(ctx)
  }
  const handlers = {
    start: () => {},
    end: (ctx: object) => {
      if ((ctx as { error?: unknown }).error !== undefined) done(ctx)
    },
    asyncStart: () => {},
    asyncEnd: done,
    error: () => {},
  }
  originalTracingChannel(name.slice('tracing:'.length)).subscribe(handlers)
  tracingHandlers.push([name, handlers])
}
const published = new Map<string, Array<Record<string, unknown>>>()
const listeners = new Map<string, (message: unknown) => void>()

function listen(name: string): void {
  if (listeners.has(name)) return
  const fn = (message: unknown) => {
    let list = published.get(name)
    if (list === undefined) published.set(name, (list = []))
    list.push(message as Record<string, unknown>)
  }
  listeners.set(name, fn)
  diagnostics_channel.subscribe(name, fn)
}

/** Channels whose events need a service this machine lacks (locally only; CI fails instead). */
const unavailable = new Set<string>()

const seen = (name: string, match: (m: Record<string, unknown>) => boolean = () => true) =>
  (published.get(name) ?? []).some(match)

/** A port nothing listens on (bound, then closed). */
async function deadPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** A Map L2 that fails every call while `down` is set. */
class FlakyMap<K, V> extends Map<K, V> {
  down = false
  override get(key: K): V | undefined {
    if (this.down) throw new Error('L2 down')
    return super.get(key)
  }
  override set(key: K, value: V): this {
    if (this.down) throw new Error('L2 down')
    return super.set(key, value)
  }
  override delete(key: K): boolean {
    if (this.down) throw new Error('L2 down')
    return super.delete(key)
  }
  override clear(): void {
    if (this.down) throw new Error('L2 down')
    super.clear()
  }
}

beforeAll(async () => {
  for (const name of new Set([...documented.keys(), ...created])) listen(name)
  for (const name of new Set([...documentedTracing.keys(), ...createdTracing])) listenTracing(name)
}, 60_000)

afterAll(() => {
  for (const [name, fn] of listeners) diagnostics_channel.unsubscribe(name, fn)
  for (const [name, h] of tracingHandlers)
    originalTracingChannel(name.slice('tracing:'.length)).unsubscribe(h as never)
})

describe('docs/diagnostics-channels.md == what the packages publish', () => {
  it('the cache publishes every documented hotpath:cache:* event', async () => {
    const l2 = new FlakyMap<string, unknown>()
    await using cache = createCache({
      namespace: `contract-${uniqueId()}`,
      l1: { max: 2 },
      l2,
      breaker: { threshold: 1, halfOpenAfter: 50 },
    })
    await cache.set('a', 1)
    await cache.get('a')
    await cache.get('missing')
    await cache.getOrSet('f', () => 'made')
    await cache.set('b', 2)
    await cache.set('c', 3) // L1 of 2 evicts
    await cache.delete('b')
    l2.down = true
    await cache.get('not-in-l1')
    await eventually(() => seen('hotpath:cache:breaker', (m) => m.state === 'open'), {
      what: 'the L2 breaker to open',
    })
    l2.down = false
    await eventually(
      async () => {
        await cache.get(`probe-${uniqueId()}`)
        return seen('hotpath:cache:breaker', (m) => m.state === 'closed')
      },
      { what: 'the L2 breaker to close again' },
    )
    for (const name of [
      'hotpath:cache:get',
      'hotpath:cache:set',
      'hotpath:cache:delete',
      'hotpath:cache:evict',
      'hotpath:cache:factory',
      'hotpath:cache:l2:error',
      'hotpath:cache:breaker',
    ]) {
      expect(published.get(name)?.length ?? 0, name).toBeGreaterThan(0)
    }
  })

  it('the cache bus publishes hotpath:cache:bus over a real Redis', async (ctx) => {
    if (!(await requireRedis())) {
      unavailable.add('hotpath:cache:bus')
      return ctx.skip()
    }
    const namespace = `contract-bus-${uniqueId()}`
    const url = redisUrl()
    await using a = createCache({ namespace, bus: { redisUrl: url } })
    await using b = createCache({ namespace, bus: { redisUrl: url } })
    await b.set('k', 1)
    await eventually(() => a.stats().bus?.connected === true && b.stats().bus?.connected === true, {
      what: 'both bus clients to connect',
    })
    await a.delete('k')
    await eventually(() => seen('hotpath:cache:bus', (m) => m.event === 'receive'), { what: 'a bus message' })
    expect(seen('hotpath:cache:bus', (m) => m.event === 'publish')).toBe(true)
  })

  it('the HTTP client publishes every documented hotpath:http:* event', async () => {
    let calls = 0
    const upstream = await startHttpServer((req, res) => {
      calls++
      if (req.url === '/flaky' && calls % 2 === 1) {
        res.writeHead(503)
        res.end()
        return
      }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"ok":true}')
    })
    const http = createHttpClient({
      name: 'contract',
      cache: false,
      retry: { retries: 2, minDelay: 1, maxDelay: 5 },
      rateLimit: { rps: 5, burst: 1 },
      breaker: { threshold: 1, halfOpenAfter: 60_000 },
    })
    const dead = `http://127.0.0.1:${await deadPort()}`
    try {
      await (await http.request(`${upstream.origin}/ok`)).text()
      await (await http.request(`${upstream.origin}/flaky`)).text() // 503, retried
      // two at once against a bucket of one token at 5/s: the second waits for a token
      await Promise.all([1, 2].map(async () => (await http.request(`${upstream.origin}/ok`)).text()))
      await http.request(`${dead}/down`).then(
        (r) => r.text(),
        () => undefined,
      )
    } finally {
      await http.close()
      await upstream.close()
    }
    for (const name of [
      'hotpath:http:request',
      'hotpath:http:retry',
      'hotpath:http:ratelimit',
      'hotpath:http:breaker',
    ]) {
      expect(published.get(name)?.length ?? 0, name).toBeGreaterThan(0)
    }
  })

  it('the database and its pools publish every documented hotpath:db:* event', async () => {
    {
      await using db = createDatabase({
        name: 'contract',
        driver: sqlite({ filename: ':memory:' }),
        slowQueryThreshold: 0,
      })
      await db.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')
      await db.execute('INSERT INTO t (v) VALUES (?)', ['x'])
      await db.query('SELECT v FROM t WHERE id = ?', [1])
    }
    // a bare pool: a timeout, a leak, a failing destroy (hotpath:db:pool:error)
    const pool = createPool({
      name: 'contract-pool',
      create: () => ({}),
      destroy: () => {
        throw new Error('destroy failed')
      },
      max: 1,
      leakDetection: 20,
    })
    const lease = await pool.acquire()
    await expect(pool.acquire({ timeout: 10 })).rejects.toMatchObject({
      code: expect.stringMatching(/^HOTPATH_DB_/),
    })
    await eventually(() => seen('hotpath:db:pool:leak', (m) => m.pool === 'contract-pool'), {
      what: 'a leak warning',
    })
    lease.release()
    await pool.close()
    await eventually(() => seen('hotpath:db:pool:error', (m) => m.pool === 'contract-pool'), {
      what: 'the failing destroy',
    })
    for (const name of [
      'hotpath:db:query',
      'hotpath:db:slow-query',
      'hotpath:db:pool:acquire',
      'hotpath:db:pool:release',
      'hotpath:db:pool:timeout',
      'hotpath:db:pool:create',
      'hotpath:db:pool:destroy',
      'hotpath:db:pool:error',
      'hotpath:db:pool:leak',
    ]) {
      expect(published.get(name)?.length ?? 0, name).toBeGreaterThan(0)
    }
  })

  it('a load run publishes every documented hotpath:load:* event', async () => {
    const target = await startHttpServer((_req, res) => {
      res.writeHead(200)
      res.end('ok')
    })
    try {
      await runLoad({ url: `${target.origin}/`, connections: 2, duration: 1300 })
    } finally {
      await target.close()
    }
    for (const name of ['hotpath:load:start', 'hotpath:load:progress', 'hotpath:load:end']) {
      expect(published.get(name)?.length ?? 0, name).toBeGreaterThan(0)
    }
  }, 30_000)

  it('metrics subscribes only to documented channels', async () => {
    await using metrics = createMetrics({ runtime: false })
    metrics.instrument()
    const subscribed = (metrics as unknown as { pipeline: { channels: string[] } }).pipeline.channels
    expect(subscribed.length).toBeGreaterThan(10)
    for (const name of subscribed) expect(documented.has(name), name).toBe(true)
  })

  // Runs last: the events above are what it judges.
  it('both ways: every documented channel was published with its documented keys, and nothing else was', () => {
    const problems: string[] = []
    for (const [name, keys] of documented) {
      const messages = published.get(name) ?? []
      if (messages.length === 0) {
        if (!unavailable.has(name)) problems.push(`${name}: documented, never published`)
        continue
      }
      const known = new Set(keys.map((k) => k.name))
      for (const message of messages) {
        for (const key of Object.keys(message)) {
          if (!known.has(key)) problems.push(`${name}: publishes undocumented key "${key}"`)
        }
        for (const k of keys) {
          if (!k.optional && !(k.name in message))
            problems.push(`${name}: documented key "${k.name}" missing`)
          const value = message[k.name]
          if (k.values !== undefined && value !== undefined && !k.values.includes(value as string)) {
            problems.push(
              `${name}: "${k.name}" is ${JSON.stringify(value)}, documented ${k.values.join(' | ')}`,
            )
          }
        }
      }
    }
    for (const name of new Set([...created, ...published.keys()])) {
      if (!documented.has(name)) problems.push(`${name}: created or published, not documented`)
    }
    expect([...new Set(problems)]).toEqual([])
    expect(created.size).toBeGreaterThanOrEqual(documented.size)
  })

  it('both ways for the tracing channels: every documented one traced the operations above with its documented keys', () => {
    const problems: string[] = []
    for (const [name, keys] of documentedTracing) {
      const contexts = traced.get(name) ?? []
      if (contexts.length === 0) problems.push(`${name}: documented, never published`)
      const known = new Set(keys.map((k) => k.name))
      for (const ctx of contexts) {
        // own fields must be documented; documented keys may be fields or getters / methods
        for (const key of Object.keys(ctx)) {
          if (!known.has(key)) problems.push(`${name}: context has undocumented key "${key}"`)
        }
        for (const k of keys) {
          if (!k.optional && !(k.name in ctx)) problems.push(`${name}: documented key "${k.name}" missing`)
          const value = (ctx as Record<string, unknown>)[k.name]
          if (k.values !== undefined && value !== undefined && !k.values.includes(value as string))
            problems.push(
              `${name}: "${k.name}" is ${JSON.stringify(value)}, documented ${k.values.join(' | ')}`,
            )
        }
      }
    }
    for (const name of createdTracing) {
      if (!documentedTracing.has(name)) problems.push(`${name}: created, not documented`)
    }
    expect([...new Set(problems)]).toEqual([])
    expect([...createdTracing].sort()).toEqual([...documentedTracing.keys()].sort())
  })
})
