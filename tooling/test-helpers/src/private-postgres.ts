// A private, throwaway PostgreSQL cluster for tests that restart, kill or freeze the server:
// initdb into a temp dir, postgres on a free port, everything in one process group.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { openSync, closeSync } from 'node:fs'
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from './ports.ts'
import { canConnect } from './services.ts'

const run = promisify(execFile)

export interface PrivatePostgres {
  readonly port: number
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string
  /** PID of the postmaster (the server's own processes are its children, in one process group). */
  readonly pid: number | undefined
  /** SIGKILL to every process of the cluster: a crash, sockets dropped without goodbye. */
  kill(): Promise<void>
  /** SIGSTOP / SIGCONT to every process of the cluster: a frozen server, every call hangs. */
  freeze(): Promise<void>
  thaw(): Promise<void>
  /** Fast shutdown (sessions terminated with 57P01), then start again on the same port. */
  restart(): Promise<void>
  /** Starts it again after kill(). */
  start(): Promise<void>
  /** Stops the server and removes its data directory. */
  stop(): Promise<void>
}

/** The directory of initdb/postgres: HOTPATH_PG_BIN, else the newest /usr/lib/postgresql/<v>/bin. */
function binDir(): string {
  const fromEnv = process.env.HOTPATH_PG_BIN
  if (fromEnv) return fromEnv
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : []
  if (versions.length === 0) {
    throw new Error('no PostgreSQL server binaries found: install postgresql or set HOTPATH_PG_BIN')
  }
  return join(root, versions[0] as string, 'bin')
}

/** PostgreSQL refuses to run as root: as root, run its binaries as the `postgres` user. */
function asServerUser(file: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args]
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Starts a private PostgreSQL cluster on a free port (trust auth, user postgres, fsync off). */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir()
  const port = await freePort()
  const dir = await mkdtemp(join(tmpdir(), 'hp-pg-'))
  const data = join(dir, 'data')
  if (process.getuid?.() === 0) {
    const { uid, gid } = await run('id', ['-u', 'postgres']).then(async (u) => ({
      uid: Number(u.stdout.trim()),
      gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()),
    }))
    await chown(dir, uid, gid)
  }
  const [initFile, initArgs] = asServerUser(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '-A',
    'trust',
    '--no-sync',
    '-E',
    'UTF8',
  ])
  await run(initFile, initArgs, { timeout: 60_000 })
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`
  let child: ChildProcess | undefined
  let pid: number | undefined

  const start = async (): Promise<void> => {
    const [file, args] = asServerUser(join(bin, 'postgres'), [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=50',
    ])
    const log = openSync(join(dir, 'server.log'), 'a')
    const proc = spawn(file, args, { stdio: ['ignore', log, log] })
    closeSync(log)
    child = proc
    await new Promise<void>((resolve, reject) => {
      proc.once('error', reject)
      proc.once('spawn', () => resolve())
    })
    await waitUntil(
      async () => {
        if (proc.exitCode !== null) {
          const tail = (await readFile(join(dir, 'server.log'), 'utf8'))
            .trim()
            .split('\n')
            .slice(-5)
            .join(' | ')
          throw new Error(`postgres exited with code ${proc.exitCode}: ${tail}`)
        }
        return canConnect(url, port, 200)
      },
      20_000,
      `private postgres on port ${port}`,
    )
    await waitUntil(
      async () => {
        const ready = await run(join(bin, 'pg_isready'), [
          '-q',
          '-U',
          'postgres',
          '-h',
          '127.0.0.1',
          '-p',
          String(port),
        ]).then(
          () => true,
          () => false,
        )
        return ready
      },
      20_000,
      `private postgres on port ${port} to accept connections`,
    )
    pid = Number((await readFile(join(data, 'postmaster.pid'), 'utf8')).split('\n')[0])
  }

  // Postgres children call setsid(), so a process-group signal misses them: signal the postmaster
  // and each of its children by PID.
  const serverPids = async (): Promise<number[]> => {
    if (pid === undefined) return []
    const children = await run('pgrep', ['-P', String(pid)]).then(
      (r) => r.stdout.split('\n').filter(Boolean).map(Number),
      () => [] as number[],
    )
    // runuser stops itself when its child stops (su's watching parent): it must be thawed too.
    const wrapper = child?.pid !== undefined && child.pid !== pid ? [child.pid] : []
    return [pid, ...children, ...wrapper]
  }
  const signalServer = async (signal: NodeJS.Signals): Promise<void> => {
    for (const p of await serverPids()) {
      try {
        process.kill(p, signal)
      } catch {
        // already gone
      }
    }
  }

  const exited = (): Promise<void> =>
    new Promise((resolve) => {
      const proc = child
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return resolve()
      proc.once('exit', () => resolve())
    })

  const kill = async (): Promise<void> => {
    const done = exited()
    // Every server process dies at once (a crash). A runuser wrapper stays to reap the postmaster,
    // or a zombie would keep its PID and the next start would see a "running" server.
    const wrapper = child?.pid !== pid ? child?.pid : undefined
    for (const p of await serverPids()) {
      try {
        if (p !== wrapper) process.kill(p, 'SIGKILL')
        else process.kill(p, 'SIGCONT')
      } catch {
        // already gone
      }
    }
    await done
    // Backends notice the dead postmaster and exit; wait until the port is free for a restart.
    await waitUntil(async () => !(await canConnect(url, port, 200)), 10_000, 'the killed cluster to go')
    child = undefined
    pid = undefined
  }

  const fastStop = async (): Promise<void> => {
    if (pid === undefined) return
    const done = exited()
    await signalServer('SIGCONT')
    try {
      process.kill(pid, 'SIGINT')
    } catch {
      // already gone
    }
    await done
    child = undefined
    pid = undefined
  }

  await start()
  return {
    port,
    url,
    get pid() {
      return pid
    },
    kill,
    freeze: () => signalServer('SIGSTOP'),
    thaw: () => signalServer('SIGCONT'),
    async restart() {
      await fastStop()
      await start()
    },
    start,
    async stop() {
      await fastStop().catch(() => kill())
      await rm(dir, { recursive: true, force: true })
    },
  }
}
