// A real, private Redis Cluster on free ports: masters (and replicas, for failover tests) created
// with `redis-cli --cluster create`, one process per node, each killable and restartable.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from './ports.ts'
import { canConnect } from './services.ts'

const run = promisify(execFile)

export interface ClusterNode {
  readonly port: number
  readonly url: string
  /** True while its process runs. */
  readonly running: boolean
  /** SIGKILL: the node crashes. */
  kill(): Promise<void>
  /** SIGSTOP / SIGCONT. */
  freeze(): void
  thaw(): void
  /** Starts it again with its old nodes.conf (it rejoins the cluster). */
  start(): Promise<void>
}

export interface RedisCluster {
  readonly nodes: readonly ClusterNode[]
  /** Root node URLs for a cluster client (`createCluster({ rootNodes })`). */
  readonly urls: readonly string[]
  /** The node currently serving `key`'s slot as master (asks the cluster). */
  masterFor(key: string): Promise<ClusterNode>
  /** Resolves when `CLUSTER INFO` reports `cluster_state:ok` on every running node. */
  waitHealthy(timeoutMs?: number): Promise<void>
  stop(): Promise<void>
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
    timeout: 10_000,
  })
  return stdout
}

/** Slot ranges and the port of the master serving each, as one node sees them (`CLUSTER SHARDS`-free, Redis 6+). */
async function slotOwners(port: number): Promise<Array<{ from: number; to: number; port: number }>> {
  const owners: Array<{ from: number; to: number; port: number }> = []
  for (const line of (await cli(port, 'CLUSTER', 'NODES')).split('\n')) {
    const parts = line.split(' ')
    const flags = parts[2] ?? ''
    if (!flags.includes('master') || flags.includes('fail')) continue
    const owner = Number(parts[1]?.split('@')[0]?.split(':')[1])
    for (const range of parts.slice(8)) {
      if (range.startsWith('[')) continue // a slot being migrated
      const [from, to = from] = range.split('-').map(Number)
      if (from !== undefined && to !== undefined) owners.push({ from, to, port: owner })
    }
  }
  return owners
}

/**
 * Starts `masters` masters with `replicasPerMaster` replicas each (default 3 + 0). With replicas, a
 * killed master is replaced by its replica after `nodeTimeout` ms (default 1000).
 */
export async function startRedisCluster(
  options: { masters?: number; replicasPerMaster?: number; nodeTimeout?: number } = {},
): Promise<RedisCluster> {
  const { masters = 3, replicasPerMaster = 0, nodeTimeout = 1000 } = options
  const count = masters * (1 + replicasPerMaster)
  const root = await mkdtemp(join(tmpdir(), 'hp-redis-cluster-'))
  const nodes: ClusterNode[] = []
  for (let i = 0; i < count; i++) {
    const port = await freePort()
    const busPort = await freePort()
    const dir = join(root, String(port))
    await mkdir(dir)
    let child: ChildProcess | undefined
    const start = async (): Promise<void> => {
      const proc = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-port',
          String(busPort),
          '--cluster-config-file',
          join(dir, 'nodes.conf'),
          '--cluster-node-timeout',
          String(nodeTimeout),
          // A replica fails over however long its link was down (a test cluster is young and small).
          '--cluster-replica-validity-factor',
          '0',
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          dir,
        ],
        { stdio: 'ignore' },
      )
      child = proc
      await new Promise<void>((resolve, reject) => {
        proc.once('error', reject)
        proc.once('spawn', () => resolve())
      })
      const deadline = Date.now() + 10_000
      while (!(await canConnect(`redis://127.0.0.1:${port}`, port, 200))) {
        if (Date.now() > deadline) throw new Error(`cluster node on port ${port} did not start`)
        await new Promise((r) => setTimeout(r, 25))
      }
    }
    const node: ClusterNode = {
      port,
      url: `redis://127.0.0.1:${port}`,
      get running() {
        return child !== undefined && child.exitCode === null && child.signalCode === null
      },
      async kill() {
        const proc = child
        if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
        const exited = new Promise((r) => proc.once('exit', r))
        proc.kill('SIGCONT')
        proc.kill('SIGKILL')
        await exited
      },
      freeze: () => child?.kill('SIGSTOP'),
      thaw: () => child?.kill('SIGCONT'),
      start,
    }
    await start()
    nodes.push(node)
  }
  await run(
    'redis-cli',
    [
      '--cluster',
      'create',
      ...nodes.map((n) => `127.0.0.1:${n.port}`),
      '--cluster-replicas',
      String(replicasPerMaster),
      '--cluster-yes',
    ],
    { timeout: 60_000 },
  )

  const cluster: RedisCluster = {
    nodes,
    urls: nodes.map((n) => n.url),
    async masterFor(key) {
      const live = nodes.find((n) => n.running)
      if (!live) throw new Error('no cluster node is running')
      const slot = Number((await cli(live.port, 'CLUSTER', 'KEYSLOT', key)).trim())
      const owner = (await slotOwners(live.port)).find((o) => slot >= o.from && slot <= o.to)
      const node = nodes.find((n) => n.port === owner?.port)
      if (!node) throw new Error(`no master serves the slot of ${key}`)
      return node
    },
    async waitHealthy(timeoutMs = 20_000) {
      // Healthy: every running node says cluster_state:ok and every slot's master is a running node
      // (right after a kill the survivors still say ok until they notice the failure).
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const running = nodes.filter((n) => n.running)
        const states = await Promise.all(running.map((n) => cli(n.port, 'CLUSTER', 'INFO').catch(() => '')))
        const ok = states.every((s) => s.includes('cluster_state:ok'))
        const runningPorts = new Set(running.map((n) => n.port))
        const owners = ok && running[0] ? await slotOwners(running[0].port).catch(() => []) : []
        const covered = owners.reduce((sum, o) => sum + (o.to - o.from + 1), 0) === 16384
        if (ok && covered && owners.every((o) => runningPorts.has(o.port))) return
        if (Date.now() > deadline) throw new Error(`redis cluster not healthy within ${timeoutMs} ms`)
        await new Promise((r) => setTimeout(r, 100))
      }
    },
    async stop() {
      for (const n of nodes) await n.kill()
      await rm(root, { recursive: true, force: true })
    },
  }
  await cluster.waitHealthy()
  // Replicas must have finished their first sync, or a failover right away would lose data.
  const deadline = Date.now() + 20_000
  for (const n of nodes) {
    while (/role:slave/.test(await cli(n.port, 'INFO', 'replication'))) {
      if (/master_link_status:up/.test(await cli(n.port, 'INFO', 'replication'))) break
      if (Date.now() > deadline) throw new Error(`replica on port ${n.port} did not sync with its master`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  return cluster
}
