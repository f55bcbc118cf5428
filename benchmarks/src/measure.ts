// Timing helpers. Each returns operations per second over a fixed wall-clock window.

const now = () => performance.now()

/** Ops/s of a synchronous function, called in a tight loop for about `ms`. */
export function opsPerSecond(fn: (i: number) => unknown, ms = 300): number {
  let sink: unknown
  // Warm up so the JIT has compiled the loop before timing.
  for (let i = 0; i < 1000; i++) sink = fn(i)
  let ops = 0
  const start = now()
  let elapsed = 0
  do {
    for (let i = 0; i < 4096; i++) sink = fn(ops + i)
    ops += 4096
    elapsed = now() - start
  } while (elapsed < ms)
  blackhole(sink)
  return (ops / elapsed) * 1000
}

/** Ops/s of an async function awaited one at a time. */
export async function asyncOpsPerSecond(fn: (i: number) => Promise<unknown>, ms = 300): Promise<number> {
  let sink: unknown
  for (let i = 0; i < 200; i++) sink = await fn(i)
  let ops = 0
  const start = now()
  let elapsed = 0
  do {
    for (let i = 0; i < 512; i++) sink = await fn(ops + i)
    ops += 512
    elapsed = now() - start
  } while (elapsed < ms)
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
  await Promise.all(Array.from({ length: inFlight }, (_, i) => fn(i)))
  let ops = 0
  const start = now()
  const end = start + ms
  const worker = async () => {
    do {
      for (let i = 0; i < checkEvery; i++) {
        await fn(ops)
        ops++
      }
    } while (now() < end)
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
  return (ops / (now() - start)) * 1000
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
