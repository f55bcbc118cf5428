// Issue 15 defect 5: when the generator, not the target, falls behind, the result names why, with the figures
// that show it: 'saturated' (its event loop had no idle time left) or 'starved' (mostly idle, yet its timers fired
// late: the CPU went elsewhere). The undici transport's open-model collapse (-R 2000 -c 20) reproduced only on a
// starved machine, where undici (about 1.5-2x raw's CPU per request) falls behind first; this is what tells the user.
import { type ChildProcess, spawn } from 'node:child_process'
import { readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eventually } from '@hotpath/test-helpers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runLoad } from '../src/run.ts'
import { startTarget, type TargetProcess } from './servers.ts'

const cliFile = new URL('./fixtures/cli.ts', import.meta.url).pathname
let target: TargetProcess
beforeAll(async () => {
  target = await startTarget({ mode: 'none' })
})
afterAll(async () => {
  await target?.close()
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The longest gap between two consecutive arrivals at the server, ms. */
function longestGap(arrivals: readonly number[]): number {
  const a = [...arrivals].sort((x, y) => x - y)
  let gap = 0
  for (let i = 1; i < a.length; i++) gap = Math.max(gap, a[i]! - a[i - 1]!)
  return gap
}

describe('defect 5: the generator-health warning names the cause', () => {
  it('starved: a generator process the OS does not run (SIGSTOP) is reported as starved, not saturated', async () => {
    const json = join(tmpdir(), `hotpath-load-starved-${process.pid}.json`)
    const before = (await target.stats()).arrivals.length
    const child: ChildProcess = spawn(
      process.execPath,
      [cliFile, '-R', '200', '-c', '20', '-d', '4', '-q', '--json', json, target.origin],
      { env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'ignore', 'inherit'] },
    )
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    try {
      // Starve it once it demonstrably sends: three 300 ms stretches in which the kernel does not run it at all
      // (what a machine whose CPUs are taken by other processes does to a generator, only longer).
      await eventually(async () => (await target.stats()).arrivals.length > before + 40, {
        timeoutMs: 20_000,
      })
      for (let k = 0; k < 3; k++) {
        child.kill('SIGSTOP')
        await sleep(300)
        child.kill('SIGCONT')
        await sleep(400)
      }
      expect(await exited).toBe(0)
      const r = JSON.parse(await readFile(json, 'utf8'))
      const arrivals = (await target.stats()).arrivals.slice(before)
      const info = JSON.stringify({ generator: r.generator, warnings: r.warnings })
      // The server saw the generator go quiet (it, not the target, stopped).
      expect(longestGap(arrivals), info).toBeGreaterThan(200)
      expect(r.generator.bottleneck, info).toBe(true)
      expect(r.generator.cause, info).toBe('starved')
      expect(r.generator.busyShare, info).toBeLessThan(0.9)
      expect(r.generator.cpuPerRequestUs, info).toBeGreaterThan(0)
      expect(r.warnings.join('\n'), info).toMatch(/generator is the bottleneck: it was starved/)
    } finally {
      child.kill('SIGCONT')
      child.kill()
      await rm(json, { force: true })
    }
  })

  it('saturated: a generator whose every iteration costs 2 ms of CPU, asked for 1000/s, is reported as saturated', async () => {
    const before = (await target.stats()).served
    const r = await runLoad({
      url: target.origin,
      rate: 1000,
      connections: 20,
      duration: 1500,
      scenario: () => {
        const end = performance.now() + 2
        while (performance.now() < end) {}
        return [{ path: '/' }]
      },
    })
    const served = (await target.stats()).served - before
    const info = JSON.stringify({ generator: r.generator, requests: r.requests, warnings: r.warnings })
    // The target answered every request it got at once; the generator could not build more than ~500 a second.
    expect(served, info).toBeGreaterThanOrEqual(r.requests.completed - r.requests.cancelled)
    expect(r.requests.late, info).toBeGreaterThan(100)
    expect(r.generator.bottleneck, info).toBe(true)
    expect(r.generator.cause, info).toBe('saturated')
    expect(r.generator.busyShare, info).toBeGreaterThanOrEqual(0.9)
    expect(r.warnings.join('\n'), info).toMatch(/generator is the bottleneck: it is saturated/)
  })

  it('a generator that keeps up reports no cause (and its CPU per request)', async () => {
    const r = await runLoad({ url: target.origin, rate: 100, connections: 4, duration: 1000 })
    // On a busy machine even this may lag: then it has a cause; otherwise none, and no warning.
    expect(r.generator.cause === null).toBe(!r.generator.bottleneck)
    if (!r.generator.bottleneck) expect(r.warnings).toEqual([])
    expect(r.generator.cpuPerRequestUs).toBeGreaterThan(0)
    expect(r.generator.busyShare).toBeLessThan(1)
  })
})
