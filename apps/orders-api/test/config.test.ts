import { execFile, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from '@hotpath/test-helpers'
import { describe, expect, it } from 'vitest'
import { ConfigError, readEnv } from '../src/config.ts'
import { waitForJson } from './service.ts'

const server = new URL('../src/server.ts', import.meta.url).pathname
const run = promisify(execFile)

async function fails(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const error = (await run(process.execPath, [server], { env: { PATH: process.env.PATH, ...env } }).then(
    () => undefined,
    (e: unknown) => e,
  )) as { code: number; stderr: string } | undefined
  if (!error) throw new Error('server started with a bad config')
  return error
}

describe('config', () => {
  it('--help lists every variable and exits 0', async () => {
    const { stdout } = await run(process.execPath, [server, '--help'])
    for (const name of [
      'PORT',
      'HOST',
      'MODE',
      'WORKERS',
      'METRICS_PORT',
      'SQLITE_FILE',
      'DATABASE_URL',
      'REDIS_URL',
      'UPSTREAM_URL',
      'SEED',
      'DEBUG_TOKEN',
      'RATE_LIMIT',
      'RATE_LIMIT_WINDOW',
      'SLOW_REQUEST_THRESHOLD',
      'MAX_REQUESTS',
      'MAX_REQUESTS_JITTER',
      'METRICS',
    ])
      expect(stdout).toContain(name)
    expect(stdout).not.toContain('SERVICE_MODE')
  })

  it('bad values exit 2 with one clear line each, naming the variable', async () => {
    const { code, stderr } = await fails({
      MODE: 'fast',
      PORT: 'abc',
      WORKERS: '0',
      DATABASE_URL: 'mysql://x',
      SEED: 'huge',
      DEBUG_TOKEN: 'short',
      RATE_LIMIT: '-1',
      METRICS: 'no',
    })
    expect(code).toBe(2)
    expect(stderr).toContain('MODE must be one of optimized, baseline (received "fast")')
    expect(stderr).toMatch(/PORT must be an integer 0\.\.65535/)
    expect(stderr).toMatch(/WORKERS must be an integer >= 1/)
    expect(stderr).toMatch(/DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/)
    expect(stderr).toContain('SEED must be full or small (received "huge")')
    expect(stderr).toContain('DEBUG_TOKEN must be 16-256 visible ASCII characters (value not shown)')
    expect(stderr).not.toContain('short')
    expect(stderr).toMatch(/RATE_LIMIT must be an integer >= 0/)
    expect(stderr).toContain('METRICS must be on or off (received "no")')
    expect(stderr).not.toMatch(/\n\s+at /) // no stack trace
  })

  it('METRICS=off turns @hotpath/metrics off; on (the default) keeps it', () => {
    expect(readEnv({}).metrics).toBe(true)
    expect(readEnv({ METRICS: 'on' }).metrics).toBe(true)
    expect(readEnv({ METRICS: 'off' }).metrics).toBe(false)
  })

  it("WORKERS defaults to the seeds' 4, capped at the cores this process may use", async () => {
    expect(readEnv({}).workers).toBe(Math.min(4, availableParallelism()))
    expect(readEnv({ WORKERS: '' }).workers).toBe(Math.min(4, availableParallelism()))
    expect(readEnv({ WORKERS: '1' }).workers).toBe(1)
    expect(readEnv({ WORKERS: '8' }).workers).toBe(8) // an explicit count is not capped
    const { stdout } = await run(process.execPath, [server, '--help'])
    expect(stdout).toContain('(default: min(4, os.availableParallelism()))')
  })

  it('the old SERVICE_MODE name is refused with the new name', async () => {
    const { code, stderr } = await fails({ SERVICE_MODE: 'baseline' })
    expect(code).toBe(2)
    expect(stderr).toContain('SERVICE_MODE is not read any more: use MODE')
    expect(() => readEnv({ SERVICE_MODE: 'baseline' })).toThrow(ConfigError)
  })

  it('MODE, as the README documents it, selects the mode of the running service', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'orders-config-'))
    const port = await freePort()
    const child = spawn(process.execPath, [server], {
      env: {
        ...process.env,
        MODE: 'baseline',
        SEED: 'small',
        WORKERS: '1', // one process is enough to read its mode (WORKERS defaults to the cores, up to 4)
        PORT: String(port),
        SQLITE_FILE: join(dir, 'o.db'),
      },
      stdio: 'ignore',
    })
    try {
      const health = await waitForJson<{ mode: string }>(`http://127.0.0.1:${port}/health`)
      expect(health.mode).toBe('baseline')
    } finally {
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
      await rm(dir, { recursive: true, force: true })
    }
  })
})
