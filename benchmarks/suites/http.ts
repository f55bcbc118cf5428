// @hotpath/http against undici, got and axios: 100 requests in flight to a trivial keep-alive server
// running in its own process (so the server's CPU is not measured in the client's event loop).
// Anchors in their best documented configuration: undici `dispatch` with the same buffering handler
// hotpath uses (undici `request()` for context), and undici's own cache interceptor + MemoryCacheStore
// for the cache-hit comparison. Every contender's status and body length are checked.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { Agent as HttpAgent } from 'node:http'
import { createHttpClient, type HttpClient } from '@hotpath/http'
import axios, { type AxiosInstance } from 'axios'
import got, { type Got } from 'got'
import { Agent, cacheStores, type Dispatcher, interceptors, request } from 'undici'
import { expectResponse, expectSame } from '../src/check.ts'
import { concurrentOpsPerSecond } from '../src/measure.ts'
import { defineSuite } from '../src/suite.ts'
import { dispatchGet } from './http/buffering-handler.ts'

const IN_FLIGHT = 100
const CONNECTIONS = 50
const MS = Number(process.env.HOTPATH_BENCH_HTTP_MS) || 1500
const serverScript = new URL('./http/server.ts', import.meta.url).pathname
const BODY = { status: 200, length: JSON.stringify({ ok: true, items: [1, 2, 3], name: 'hotpath' }).length }

let server: ChildProcess | undefined
let origin = ''
let items = ''
let cached = ''
let undiciAgent: Agent
let undiciCached: Dispatcher
let cacheOff: HttpClient
let cacheOn: HttpClient
let gotClient: Got
let axiosClient: AxiosInstance
let nodeAgent: HttpAgent

async function serverCounts(): Promise<Record<string, number>> {
  const { body } = await dispatchGet(undiciAgent, origin, '/count')
  return JSON.parse(body.toString()) as Record<string, number>
}

export default defineSuite({
  name: 'http',
  title: 'HTTP client, 100 in flight, trivial keep-alive server in its own process',
  unit: 'req/s',
  rounds: 5,
  baseline: { 'no cache': 'undici dispatch', 'cache hit': 'undici cache interceptor hit' },
  async setup() {
    server = spawn(process.execPath, [serverScript], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
    const [line] = (await once(server.stdout!, 'data')) as [Buffer]
    origin = `http://127.0.0.1:${Number(line.toString().trim())}`
    items = `${origin}/items`
    cached = `${origin}/cached`
    undiciAgent = new Agent({ connections: CONNECTIONS })
    undiciCached = new Agent({ connections: CONNECTIONS }).compose(
      interceptors.cache({ store: new cacheStores.MemoryCacheStore() }),
    )
    // Cache off and coalescing off: every request reaches the server, like raw undici.
    cacheOff = createHttpClient({
      cache: false,
      coalesce: false,
      connections: CONNECTIONS,
      maxInFlight: IN_FLIGHT,
    })
    cacheOn = createHttpClient({ connections: CONNECTIONS, maxInFlight: IN_FLIGHT })
    nodeAgent = new HttpAgent({ keepAlive: true, maxSockets: CONNECTIONS })
    gotClient = got.extend({ agent: { http: nodeAgent }, retry: { limit: 0 } })
    axiosClient = axios.create({ httpAgent: nodeAgent, responseType: 'text' })
  },
  async teardown() {
    // The cache-hit contenders must not have reached the server beyond their first (storing) requests.
    const counts = await serverCounts()
    if ((counts['/cached'] ?? 0) > 10)
      throw new Error(`cache-hit contenders reached the server ${counts['/cached']} times`)
    await Promise.all([undiciAgent?.close(), undiciCached?.close(), cacheOff?.close(), cacheOn?.close()])
    nodeAgent?.destroy()
    server?.kill('SIGTERM')
  },
  contenders: [
    {
      group: 'no cache',
      name: 'undici dispatch',
      config: `Agent({ connections: ${CONNECTIONS} }).dispatch + buffering handler (hotpath's mechanism)`,
      measure: () => concurrentOpsPerSecond(() => dispatchGet(undiciAgent, origin, '/items'), IN_FLIGHT, MS),
      check: async () => {
        const r = await dispatchGet(undiciAgent, origin, '/items')
        expectResponse(r.status, r.body, BODY, 'undici dispatch')
      },
    },
    {
      group: 'no cache',
      name: 'undici request (context)',
      config: 'request() + body.text(): a stream per response',
      measure: () =>
        concurrentOpsPerSecond(
          async () => (await request(items, { dispatcher: undiciAgent })).body.text(),
          IN_FLIGHT,
          MS,
        ),
      check: async () => {
        const r = await request(items, { dispatcher: undiciAgent })
        expectResponse(r.statusCode, await r.body.text(), BODY, 'undici request')
      },
    },
    {
      group: 'no cache',
      name: 'hotpath cache off',
      config: 'cache: false, coalesce: false',
      measure: () =>
        concurrentOpsPerSecond(async () => (await cacheOff.request(items)).text(), IN_FLIGHT, MS),
      check: async () => {
        const before = (await serverCounts())['/items'] ?? 0
        const r = await cacheOff.request(items)
        expectResponse(r.statusCode, await r.text(), BODY, 'hotpath cache off')
        expectSame(((await serverCounts())['/items'] ?? 0) - before, 1, 'requests that reached the server')
      },
    },
    {
      group: 'no cache',
      name: 'got',
      config: `keep-alive http.Agent, maxSockets ${CONNECTIONS}, retry off`,
      measure: () => concurrentOpsPerSecond(() => gotClient(items).text(), IN_FLIGHT, MS),
      check: async () => {
        const r = await gotClient(items)
        expectResponse(r.statusCode, r.body, BODY, 'got')
      },
    },
    {
      group: 'no cache',
      name: 'axios',
      config: `keep-alive http.Agent, maxSockets ${CONNECTIONS}, responseType text`,
      measure: () => concurrentOpsPerSecond(async () => (await axiosClient.get(items)).data, IN_FLIGHT, MS),
      check: async () => {
        const r = await axiosClient.get(items)
        expectResponse(r.status, r.data as string, BODY, 'axios')
      },
    },
    {
      group: 'cache hit',
      name: 'undici cache interceptor hit',
      config: 'interceptors.cache + MemoryCacheStore, dispatch + buffering handler, max-age=300',
      measure: () =>
        concurrentOpsPerSecond(() => dispatchGet(undiciCached, origin, '/cached'), IN_FLIGHT, MS),
      check: async () => {
        const r = await dispatchGet(undiciCached, origin, '/cached')
        expectResponse(r.status, r.body, BODY, 'undici cache hit')
      },
    },
    {
      group: 'cache hit',
      name: 'hotpath L1 cache hit',
      config: 'default client (L1 memory cache), max-age=300',
      measure: () =>
        concurrentOpsPerSecond(async () => (await cacheOn.request(cached)).text(), IN_FLIGHT, MS),
      check: async () => {
        const r = await cacheOn.request(cached)
        expectResponse(r.statusCode, await r.text(), BODY, 'hotpath cache hit')
        const again = await cacheOn.request(cached)
        expectSame(again.cache, 'hit', 'second request served from the cache')
      },
    },
  ],
  targets: [
    { name: 'hotpath cache off', vs: 'undici dispatch', atLeast: 0.9 },
    { name: 'hotpath L1 cache hit', vs: 'undici cache interceptor hit', atLeast: 5 },
    { name: 'hotpath cache off', vs: 'got', atLeast: 5 },
    { name: 'hotpath cache off', vs: 'axios', atLeast: 5 },
  ],
})
