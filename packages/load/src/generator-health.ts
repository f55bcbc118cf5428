// The generator's own health over a measured run: its event-loop delay, how busy its event loop was and how much
// CPU its thread used. Together they name why a generator fell behind: saturated (no idle time left: it cannot
// go faster) or starved (idle most of the time, yet its timers fired late: the CPU went elsewhere).
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'

/** Sampling interval of the event-loop delay monitor, ms (coarse: each sample is a timer wake). */
const LOOP_RESOLUTION_MS = 50
/** An event loop busy at least this share of the run had no time left: the generator is saturated. */
const SATURATED_BUSY_SHARE = 0.9

/** This thread's CPU time, µs (the process's on Node versions without threadCpuUsage). */
function threadCpuUs(): number {
  const u = typeof process.threadCpuUsage === 'function' ? process.threadCpuUsage() : process.cpuUsage()
  return u.user + u.system
}

/** One engine's health figures (final snapshot). */
export interface HealthFigures {
  loopDelayMs: { p50: number; p99: number; max: number }
  /** CPU time of the engine's thread over the run, ms. */
  cpuMs: number
  /** Time its event loop spent outside the poll wait (running callbacks), ms. */
  busyMs: number
  /** Wall time the figures cover, ms. */
  wallMs: number
}

export type GeneratorCause = 'saturated' | 'starved'

/** Watches the calling thread from start() to stop(). */
export class GeneratorHealth {
  readonly #loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS })
  readonly #elu = performance.eventLoopUtilization()
  readonly #cpu = threadCpuUs()
  readonly #start = performance.now()

  constructor() {
    this.#loop.enable()
  }

  stop(): HealthFigures {
    this.#loop.disable()
    const elu = performance.eventLoopUtilization(this.#elu)
    return {
      loopDelayMs: loopFigures(this.#loop),
      cpuMs: (threadCpuUs() - this.#cpu) / 1000,
      busyMs: elu.active,
      wallMs: performance.now() - this.#start,
    }
  }
}

/** Why a generator that lagged did: by how busy its event loop was (busy share 0..1). */
export function generatorCause(busyShare: number): GeneratorCause {
  return busyShare >= SATURATED_BUSY_SHARE ? 'saturated' : 'starved'
}

function loopFigures(h: ReturnType<typeof monitorEventLoopDelay>): { p50: number; p99: number; max: number } {
  // Nanoseconds between the monitor's timer wakes: the delay is what exceeds its interval (clamped at 0).
  const ms = (ns: number) => Math.max(0, Math.round(ns / 1e3 - LOOP_RESOLUTION_MS * 1e3) / 1e3)
  if (h.count === 0) return { p50: 0, p99: 0, max: 0 }
  return { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) }
}
