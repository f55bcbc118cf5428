// Process figures: event-loop delay and utilisation, CPU, memory, GC. Sampled over windows of
// `sampleInterval`; the latest complete window is what gauges and the report show.
import { availableParallelism, totalmem } from 'node:os'
import { monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks'
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8'
import type { HistogramFamily } from './instruments.ts'

export interface RuntimeFigures {
  /** Length of the window these figures cover. */
  windowMs: number
  eventLoopDelayMs: { min: number; mean: number; p50: number; p99: number; max: number }
  /** Event-loop utilisation 0..1 over the window. */
  eventLoopUtilization: number
  /** CPU time / wall time over the window, for one core (1 = one core busy; a Node thread cannot do more). */
  cpuUtilization: number
  /** Same CPU time divided by wall time and the number of CPUs (the semantic-convention definition). */
  cpuUtilizationAllCores: number
  rssBytes: number
  heapUsedBytes: number
  heapTotalBytes: number
  heapLimitBytes: number
  /** cgroup limit when there is one, else total system memory. */
  memoryLimitBytes: number
  /** Heap used outside the young generation (old, code, large-object spaces). */
  oldGenerationUsedBytes: number
  /** What the old generation may grow to: `--max-old-space-size`, or heap_size_limit minus the young generation. */
  oldGenerationLimitBytes: number
  /** max(rss / memoryLimit, oldGenerationUsed / oldGenerationLimit). */
  memoryUtilization: number
  gc: { count: number; totalMs: number }
}

const GC_KINDS: Record<number, string> = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' }

export class RuntimeSampler {
  private readonly delay: ReturnType<typeof monitorEventLoopDelay>
  private readonly observer: PerformanceObserver
  private readonly timer: NodeJS.Timeout
  private lastElu = performance.eventLoopUtilization()
  private lastCpu = process.cpuUsage()
  private lastAt = performance.now()
  private gcCount = 0
  private gcTotalMs = 0
  private windowGcCount = 0
  private windowGcMs = 0
  private latest: RuntimeFigures | undefined
  private closed = false

  constructor(sampleInterval: number, resolution: number, gcHistogram: HistogramFamily) {
    this.delay = monitorEventLoopDelay({ resolution })
    this.delay.enable()
    this.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = GC_KINDS[(entry as { detail?: { kind?: number } }).detail?.kind ?? 0] ?? 'other'
        gcHistogram.record(entry.duration / 1000, { 'v8js.gc.type': kind })
        this.gcCount++
        this.gcTotalMs += entry.duration
        this.windowGcCount++
        this.windowGcMs += entry.duration
      }
    })
    this.observer.observe({ entryTypes: ['gc'] })
    this.timer = setInterval(() => {
      this.latest = this.measure(true)
    }, sampleInterval)
    this.timer.unref()
  }

  /** The latest complete window, or the figures since the previous window when none completed yet. */
  figures(): RuntimeFigures {
    return this.latest ?? this.measure(false)
  }

  /** Closes the current window now (tests and on-demand reports). */
  sample(): RuntimeFigures {
    this.latest = this.measure(true)
    return this.latest
  }

  get totalGc(): { count: number; totalMs: number } {
    return { count: this.gcCount, totalMs: this.gcTotalMs }
  }

  private measure(reset: boolean): RuntimeFigures {
    const now = performance.now()
    const windowMs = Math.max(now - this.lastAt, 0.001)
    const elu = performance.eventLoopUtilization(this.lastElu)
    const cpu = process.cpuUsage(this.lastCpu)
    const cpuMs = (cpu.user + cpu.system) / 1000
    const mem = process.memoryUsage()
    const heap = getHeapStatistics()
    let young = 0
    for (const space of getHeapSpaceStatistics()) {
      if (space.space_name === 'new_space' || space.space_name === 'new_large_object_space')
        young += space.space_used_size
    }
    const oldGenerationUsedBytes = Math.max(mem.heapUsed - young, 0)
    const oldGenerationLimitBytes = oldGenerationLimit(
      heap.heap_size_limit,
      process.execArgv,
      process.env.NODE_OPTIONS ?? '',
    )
    const constrained = typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : 0
    const memoryLimitBytes =
      constrained > 0 && constrained < Number.MAX_SAFE_INTEGER ? constrained : totalmem()
    const d = this.delay
    const hasDelay = d.count > 0
    const ns = (v: number) => (hasDelay && Number.isFinite(v) ? v / 1e6 : 0)
    const figures: RuntimeFigures = {
      windowMs,
      eventLoopDelayMs: {
        min: ns(d.min),
        mean: ns(d.mean),
        p50: ns(d.percentile(50)),
        p99: ns(d.percentile(99)),
        max: ns(d.max),
      },
      eventLoopUtilization: elu.utilization,
      cpuUtilization: cpuMs / windowMs,
      cpuUtilizationAllCores: cpuMs / windowMs / availableParallelism(),
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      heapTotalBytes: mem.heapTotal,
      heapLimitBytes: heap.heap_size_limit,
      memoryLimitBytes,
      oldGenerationUsedBytes,
      oldGenerationLimitBytes,
      memoryUtilization: Math.max(
        mem.rss / memoryLimitBytes,
        oldGenerationUsedBytes / oldGenerationLimitBytes,
      ),
      gc: { count: this.windowGcCount, totalMs: this.windowGcMs },
    }
    if (reset) {
      this.lastAt = now
      this.lastElu = performance.eventLoopUtilization()
      this.lastCpu = process.cpuUsage()
      this.windowGcCount = 0
      this.windowGcMs = 0
      d.reset()
    }
    return figures
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    clearInterval(this.timer)
    this.delay.disable()
    this.observer.disconnect()
  }
}

const MiB = 2 ** 20

function flagMiB(name: string, execArgv: readonly string[], nodeOptions: string): number | undefined {
  const re = new RegExp(`^--${name}[=](\\d+)$`)
  let found: number | undefined
  for (const arg of [...nodeOptions.split(/\s+/), ...execArgv]) {
    const m = re.exec(arg.replaceAll('_', '-'))
    if (m) found = Number(m[1])
  }
  return found
}

/**
 * The old generation's limit. V8's heap_size_limit is that limit plus the young generation (3 semi-spaces:
 * 64 MiB each by default on Node 24, 16 MiB before), so a heap ratio against it stays far below 1 at OOM
 * with a small --max-old-space-size.
 */
export function oldGenerationLimit(
  heapSizeLimit: number,
  execArgv: readonly string[],
  nodeOptions: string,
): number {
  const old = flagMiB('max-old-space-size', execArgv, nodeOptions)
  if (old !== undefined && old > 0) return old * MiB
  const major = Number(process.versions.node.split('.')[0])
  const semi = flagMiB('max-semi-space-size', execArgv, nodeOptions) ?? (major >= 24 ? 64 : 16)
  const limit = heapSizeLimit - 3 * semi * MiB
  return limit > 0 ? limit : heapSizeLimit
}
