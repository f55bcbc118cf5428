// Timing helpers. Each returns operations per second over a wall-clock window, after a warm-up
// measured in time (not in calls), and records the window's ops, wall and thread CPU time so the
// harness can report CPU per operation beside throughput.

const now = () => performance.now()

/** The last measured window: what the harness reads after a contender's measure(). */
export interface Window {
  ops: number
  wallMs: number
  /** CPU time of the measuring thread (or of the measured processes, for process suites), in µs. */
  cpuUs: number
}

let lastWindow: Window | undefined

/** Records a window measured by other means (e.g. a child process's rusage in a process suite). */
export function recordWindow(window: Window): void {
  lastWindow = window
}

/** The window recorded since the last call (undefined when the contender recorded none). */
export function takeWindow(): Window | undefined {
  const w = lastWindow
  lastWindow = undefined
  return w
}

const cpuNow = (): number => {
  const u = process.threadCpuUsage()
  return u.user + u.system
}

/** Warm-up time before a window of `ms`: long enough for the JIT to settle on the loop. */
export const warmupMs = (ms: number): number => Math.max(50, ms / 4)

/** Ops/s of a synchronous function, called in a tight loop for about `ms`. */
export function opsPerSecond(fn: (i: number) => unknown, ms = 300): number {
  let sink: unknown
  const warmEnd = now() + warmupMs(ms)
  let w = 0
  do {
    for (let i = 0; i < 1024; i++) sink = fn(w + i)
    w += 1024
  } while (now() < warmEnd)
  let ops = 0
  const cpu0 = cpuNow()
  const start = now()
  let elapsed = 0
  do {
    for (let i = 0; i < 4096; i++) sink = fn(ops + i)
    ops += 4096
    elapsed = now() - start
  } while (elapsed < ms)
  recordWindow({ ops, wallMs: elapsed, cpuUs: cpuNow() - cpu0 })
  blackhole(sink)
  return (ops / elapsed) * 1000
}

/** Ops/s of an async function awaited one at a time. */
export async function asyncOpsPerSecond(fn: (i: number) => Promise<unknown>, ms = 300): Promise<number> {
  let sink: unknown
  const warmEnd = now() + warmupMs(ms)
  let w = 0
  do {
    for (let i = 0; i < 256; i++) sink = await fn(w + i)
    w += 256
  } while (now() < warmEnd)
  let ops = 0
  const cpu0 = cpuNow()
  const start = now()
  let elapsed = 0
  do {
    for (let i = 0; i < 512; i++) sink = await fn(ops + i)
    ops += 512
    elapsed = now() - start
  } while (elapsed < ms)
  recordWindow({ ops, wallMs: elapsed, cpuUs: cpuNow() - cpu0 })
  blackhole(sink)
  return (ops / elapsed) * 1000
}

/**
 * Ops/s with `inFlight` concurrent callers, each awaiting `fn` in a loop, for about `ms`.
 * The deadline is checked in the loop (every `checkEvery` calls): calls that resolve without I/O
 * (an L1 hit, a pool handing out an idle resource) would never let a timer fire.
 */
export async function concurrentOpsPerSecond(
  fn: (i: number) => Promise<unknown>,
  inFlight: number,
  ms = 1000,
  checkEvery = 1,
): Promise<number> {
  let ops = 0
  const loop = async (end: number, count: boolean) => {
    do {
      for (let i = 0; i < checkEvery; i++) {
        await fn(ops)
        if (count) ops++
      }
    } while (now() < end)
  }
  const warmEnd = now() + warmupMs(ms)
  await Promise.all(Array.from({ length: inFlight }, () => loop(warmEnd, false)))
  const cpu0 = cpuNow()
  const start = now()
  const end = start + ms
  await Promise.all(Array.from({ length: inFlight }, () => loop(end, true)))
  const elapsed = now() - start
  recordWindow({ ops, wallMs: elapsed, cpuUs: cpuNow() - cpu0 })
  return (ops / elapsed) * 1000
}

/** Bytes of heap used by what `build` returns and keeps alive (needs --expose-gc). */
export async function retainedHeapBytes(build: () => unknown | Promise<unknown>): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) throw new Error('retainedHeapBytes needs node --expose-gc')
  gc()
  gc()
  const before = process.memoryUsage().heapUsed
  const kept = await build()
  gc()
  gc()
  const after = process.memoryUsage().heapUsed
  blackhole(kept)
  return after - before
}

let sinkHolder: unknown
/** Keeps a value observable so the optimiser cannot drop the work that produced it. */
export function blackhole(value: unknown): void {
  sinkHolder = value
  if (sinkHolder === Symbol.for('never')) console.log('')
}
