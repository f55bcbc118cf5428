// @hotpath/http against raw undici, got and axios: 100 requests in flight to a trivial keep-alive server
// running in its own process (so the server's CPU is not measured in the client's event loop).
import { type ChildProcess, spawn } from 'node:child_process'
import { Agent as HttpAgent } from 'node:http'
import { once } from 'node:events'
import { createHttpClient, type HttpClient } from '@hotpath/http'
import axios, { type AxiosInstance } from 'axios'
import got, { type Got } from 'got'
import { Agent, request } from 'undici'
import { concurrentOpsPerSecond } from '../src/measure.ts'
import { defineSuite } from '../src/suite.ts'

const IN_FLIGHT = 100
const MS = Number(process.env.HOTPATH_BENCH_HTTP_MS) || 1500
const serverScript = new URL('./http/server.ts', import.meta.url).pathname

let server: ChildProcess | undefined
let url = ''
let undiciAgent: Agent
let cacheOff: HttpClient
let cacheOn: HttpClient
let gotClient: Got
let axiosClient: AxiosInstance
let nodeAgent: HttpAgent

export default defineSuite({
  name: 'http',
  title: 'HTTP client, 100 in flight, trivial keep-alive server in its own process',
  unit: 'req/s',
  rounds: 5,
  baseline: 'undici request (50 conns)',
  async setup() {
    server = spawn(process.execPath, [serverScript], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
    const [line] = (await once(server.stdout!, 'data')) as [Buffer]
    url = `http://127.0.0.1:${Number(line.toString().trim())}/items`
    undiciAgent = new Agent({ connections: 50 })
    // Cache off and coalescing off: every request reaches the server, like raw undici.
    cacheOff = createHttpClient({ cache: false, coalesce: false, connections: 50, maxInFlight: 100 })
    cacheOn = createHttpClient({ connections: 50, maxInFlight: 100 })
    await cacheOn.request(url) // the server sends no Cache-Control: cached for defaultTtl (5 min)
    await new Promise((r) => setTimeout(r, 20))
    const warm = await cacheOn.request(url)
    if (warm.cache !== 'hit') throw new Error(`expected an L1 cache hit, got ${warm.cache}`)
    nodeAgent = new HttpAgent({ keepAlive: true, maxSockets: 50 })
    gotClient = got.extend({ agent: { http: nodeAgent }, retry: { limit: 0 } })
    axiosClient = axios.create({ httpAgent: nodeAgent, responseType: 'text' })
  },
  async teardown() {
    await Promise.all([undiciAgent?.close(), cacheOff?.close(), cacheOn?.close()])
    nodeAgent?.destroy()
    server?.kill('SIGTERM')
  },
  contenders: [
    {
      name: 'undici request (50 conns)',
      measure: () =>
        concurrentOpsPerSecond(
          async () => {
            const { body } = await request(url, { dispatcher: undiciAgent })
            return body.text()
          },
          IN_FLIGHT,
          MS,
        ),
    },
    {
      name: 'hotpath cache off',
      measure: () => concurrentOpsPerSecond(async () => (await cacheOff.request(url)).text(), IN_FLIGHT, MS),
    },
    {
      name: 'hotpath L1 cache hit',
      measure: () => concurrentOpsPerSecond(async () => (await cacheOn.request(url)).text(), IN_FLIGHT, MS),
    },
    {
      name: 'got',
      measure: () => concurrentOpsPerSecond(() => gotClient(url).text(), IN_FLIGHT, MS),
    },
    {
      name: 'axios',
      measure: () => concurrentOpsPerSecond(async () => (await axiosClient.get(url)).data, IN_FLIGHT, MS),
    },
  ],
  targets: [
    { name: 'hotpath cache off', vs: 'undici request (50 conns)', atLeast: 0.9 },
    { name: 'hotpath L1 cache hit', vs: 'undici request (50 conns)', atLeast: 5 },
    { name: 'hotpath cache off', vs: 'got', atLeast: 5 },
    { name: 'hotpath cache off', vs: 'axios', atLeast: 5 },
  ],
})
