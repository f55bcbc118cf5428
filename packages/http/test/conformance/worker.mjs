// One setup of the RFC 9111 conformance run (http-tests/cache-tests, npm `http-cache-tests`), in a process of its
// own: the suite's client and origin server keep their state in module globals. Starts the suite's origin handlers
// on 127.0.0.1 (a free port), runs every test definition through the setup's client and sends
// `{ setup, results, ms }` (test id -> kind, status, reason) to the parent over IPC.
// Run by harness.ts; `CONFORMANCE_SETUP=<name> node test/conformance/worker.mjs` prints the results instead.
import { randomUUID } from 'node:crypto'
import http from 'node:http'
import { createCache } from '@hotpath/cache'
import { createClient } from '@redis/client'
import { getResults, runTests } from 'http-cache-tests/client/runner.mjs'
import handleConfig from 'http-cache-tests/server/handle-config.mjs'
import handleState from 'http-cache-tests/server/handle-state.mjs'
import handleTest from 'http-cache-tests/server/handle-test.mjs'
import tests from 'http-cache-tests/tests/index.mjs'
import { Agent, cacheStores, fetch as undiciFetch, interceptors } from 'undici'
import { createHttpClient, createUndiciCacheStore } from '../../src/index.ts'

const setup = process.env.CONFORMANCE_SETUP ?? ''
const redisUrl = process.env.HOTPATH_REDIS_URL ?? 'redis://127.0.0.1:6379'
const started = performance.now()

// The suite's server dispatch (server/server.mjs) without its static files, pid file and env-chosen port.
const server = http.createServer((req, res) => {
  const segs = new URL(req.url ?? '/', 'http://127.0.0.1').pathname.split('/').slice(1)
  const route = segs.shift()
  if (route === 'config') handleConfig(segs, req, res)
  else if (route === 'test') handleTest(segs, req, res)
  else if (route === 'state') handleState(segs, req, res)
  else {
    res.statusCode = 404
    res.end()
  }
})
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const base = `http://127.0.0.1:${server.address().port}`

/** Undici's cache interceptor options the reference harness uses, plus the cache type. */
const interceptorOptions = (type, store) => ({ store, type, methods: ['GET', 'HEAD'] })

/** A fetch over an undici dispatcher (what undici's own harness does with its global dispatcher). */
function undiciSetup(dispatcher, close) {
  return { fetch: (url, init) => undiciFetch(url, { ...init, dispatcher }), close }
}

/**
 * The suite's fetch(url, init) over HttpClient.request, answering with a fetch-like response. Each test (its uuid
 * is in every URL it uses: /config/<uuid>, /test/<uuid>, /state/<uuid>) gets a client of its own made by
 * `makeClient`: the suite's tests are independent, but they share one origin, and several of them answer
 * 502/503/504 on purpose, so one shared client's breaker would open at random points and fail other tests.
 */
function clientSetup(makeClient) {
  const clients = new Map()
  const clientFor = (url) => {
    const uuid = new URL(url).pathname.split('/')[2] ?? ''
    let client = clients.get(uuid)
    if (client === undefined) clients.set(uuid, (client = makeClient()))
    return client
  }
  return {
    fetch: async (url, init = {}) => {
      const headers = {}
      for (const [name, value] of init.headers ?? []) {
        const n = name.toLowerCase()
        const prev = headers[n]
        headers[n] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value]
      }
      // what fetch's cache modes add to a request (fetch spec, HTTP-network-or-cache fetch; undici's fetch does it)
      if (init.cache === 'no-cache' && headers['cache-control'] === undefined)
        headers['cache-control'] = 'max-age=0'
      if (init.cache === 'no-store' || init.cache === 'reload') {
        headers.pragma ??= 'no-cache'
        headers['cache-control'] ??= 'no-cache'
      }
      const res = await clientFor(url).request({
        url,
        method: init.method ?? 'GET',
        headers,
        body: init.body,
      })
      const out = new Headers()
      for (const [name, value] of Object.entries(res.headers)) {
        if (value === undefined) continue
        for (const v of Array.isArray(value) ? value : [value]) {
          try {
            out.append(name, v)
          } catch {
            // a value fetch's Headers refuses; the suite cannot see it either way
          }
        }
      }
      const body = res.body.toString('utf8')
      return { status: res.statusCode, statusText: '', headers: out, text: async () => body }
    },
    close: () => Promise.all([...clients.values()].map((c) => c.close())),
  }
}

async function redisCleanup(prefix) {
  const client = createClient({ url: redisUrl, socket: { connectTimeout: 2000, reconnectStrategy: false } })
  client.on('error', () => {})
  await client.connect()
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
      if (keys.length > 0) await client.unlink(keys)
    }
  } finally {
    await client.close()
  }
}

function oursSetup(type, l2) {
  const namespace = `hp_conformance_${randomUUID().slice(0, 8)}`
  const cache = createCache({ namespace, ...(l2 ? { l2: { redisUrl }, l2Timeout: 5_000 } : {}) })
  const store = createUndiciCacheStore(cache)
  const agent = new Agent().compose(interceptors.cache(interceptorOptions(type, store)))
  return undiciSetup(agent, async () => {
    await agent.close()
    await cache.close()
    if (l2) await redisCleanup(namespace)
  })
}

const setups = {
  'undici-memory-shared': () => {
    const store = new cacheStores.MemoryCacheStore()
    const agent = new Agent().compose(interceptors.cache(interceptorOptions('shared', store)))
    return undiciSetup(agent, () => agent.close())
  },
  'undici-memory-private': () => {
    const store = new cacheStores.MemoryCacheStore()
    const agent = new Agent().compose(interceptors.cache(interceptorOptions('private', store)))
    return undiciSetup(agent, () => agent.close())
  },
  'ours-memory-shared': () => oursSetup('shared', false),
  'ours-memory-private': () => oursSetup('private', false),
  'ours-redis-shared': () => oursSetup('shared', true),
  'ours-redis-private': () => oursSetup('private', true),
  'client-defaults': () => clientSetup(() => createHttpClient()),
}

const make = setups[setup]
if (make === undefined) {
  console.error(
    `unknown CONFORMANCE_SETUP ${JSON.stringify(setup)}; one of ${Object.keys(setups).join(', ')}`,
  )
  process.exit(2)
}
const { fetch, close } = make()
// browserCache = true, as undici's harness runs it (a client-side cache: no `Cache-Control`/`Pragma` hack headers
// on requests). All tests in one chunk: the ~3 s pauses of the tests overlap, so a setup takes about one longest test.
await runTests(tests, fetch, true, base, 10_000)
const raw = getResults()
await close()
server.closeAllConnections()
server.close()
/** id -> kind ('required' | 'optimal' | 'check'), status ('pass' | 'fail' | 'skip': a setup step failed) and why. */
const results = {}
for (const suite of tests) {
  for (const test of suite.tests) {
    const r = raw[test.id]
    if (r === undefined) continue // not run in this mode (browser_skip)
    const status = r === true ? 'pass' : r[0] === 'Setup' ? 'skip' : 'fail'
    results[test.id] = {
      kind: test.kind ?? 'required',
      status,
      ...(r === true ? {} : { reason: `${r[0]}: ${r[1]}` }),
    }
  }
}
const message = { setup, results, ms: Math.round(performance.now() - started) }
if (process.send) process.send(message, () => process.exit(0))
else {
  console.log(JSON.stringify(message, null, 2))
  process.exit(0)
}
