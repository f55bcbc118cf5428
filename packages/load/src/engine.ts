// One thread's load engine: one connection (raw HTTP/1.1 or undici Client) per connection slot group,
// closed or open model, per-second snapshots.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { type Connection, createConnection } from './connection.ts'
import { errorCode } from './failure-codes.ts'
import { judge } from './judge.ts'
import type { TransportOptions } from './transport-options.ts'
import { NameStats } from './name-stats.ts'
import type { RequestSource } from './requests.ts'
import { createOpenSchedule, type OpenSchedule, shareOf } from './schedule.ts'
import { type Stage, valueAt } from './stages.ts'
import { Slot, type SlotOwner } from './slot.ts'
import type { TickSnapshot } from './tick.ts'
import { TickCounters } from './tick-counters.ts'

export interface EngineConfig {
  origin: string
  /** 'raw': the built-in HTTP/1.1 client (http: only); 'undici': one undici Client per connection. */
  transport: 'raw' | 'undici'
  model: 'open' | 'closed'
  /** Connections of the whole run (all workers). */
  connections: number
  pipelining: number
  rate: number | undefined
  stages: Stage[] | undefined
  /** Sending window, ms. */
  duration: number
  amount: number | undefined
  /** Per-request deadline, ms. */
  timeout: number
  /** Grace period for in-flight requests after the window, ms. */
  gracefulStop: number
  /** Open model: a send this many ms behind its intended time is late. */
  lateThreshold: number
  /**
   * Open model, sends behind their schedule: 'burst-2x' sends the backlog at up to twice the asked rate (wrk2);
   * 'drop' drops every send that cannot go out within lateThreshold of its intended time (k6's dropped iterations).
   */
  catchUp: 'burst-2x' | 'drop'
  /** This engine's share of the sends/connections/iterations: share `workerIndex` of `workerCount` (see shareOf). */
  workerIndex: number
  workerCount: number
  /** Index of the engine among this process's engines (the worker thread), for the collector. */
  engine: number
  /** Encode histograms (worker threads) instead of passing the objects. */
  encode: boolean
  /** Warm-up before the measured run, ms (0: none): same model and rate, on the same connections, not recorded. */
  warmup: number
  /** TLS verification and HTTP/2 of undici connections. */
  tls: TransportOptions
}

/** burst-2x: catch-up credit a send may draw on, ms of schedule (bounds the burst right after a stall). */
const CATCH_UP_CREDIT_MS = 1

/** Pause of a closed-model slot after a transport error before its next request. */
const ERROR_BACKOFF_MS = 10
/**
 * Open model, low rates: a millisecond timer wakes up to ~1 ms early (libuv's clock is whole milliseconds);
 * the rest, at most this long, is slept in the kernel (Atomics.wait: a futex, no CPU) for a sub-ms send time.
 */
const PRECISE_SLEEP_MS = 1.5
/** ... only when this thread's sends are at least this far apart (below ~500 req/s per thread). */
const SPIN_MIN_GAP_MS = 2
const sleeper = new Int32Array(new SharedArrayBuffer(4))
/** Blocks the thread for `ms` (fractional) without using the CPU. */
const sleepPrecisely = (ms: number): void => void Atomics.wait(sleeper, 0, 0, ms)

const now = (): number => performance.timeOrigin + performance.now()

export class Engine implements SlotOwner {
  readonly config: EngineConfig
  readonly source: RequestSource
  readonly onTick: (s: TickSnapshot) => void
  private inFlight = 0
  /** This second's figures. */
  private readonly tick = new TickCounters()
  /** The last pump ended waiting for a free connection: the sends behind it are late because of the target. */
  private waitedForSlot = false
  private loopDelay: ReturnType<typeof monitorEventLoopDelay> | null = null
  /** Per-name totals of the whole run (reported in the final snapshot). */
  private readonly names = new NameStats()
  private conns: Connection[] = []
  private slots: Slot[] = []
  private free: Slot[] = []
  private start = 0
  private sendEnd = 0
  private sending = false
  private stopped = false
  private second = 0
  private iterations = 0
  private iterationLimit = Number.POSITIVE_INFINITY
  private schedule: OpenSchedule | null = null
  private localSent = 0
  private localTotal = 0
  private activeConnections = 0
  private myConnections: number
  private timers = new Set<NodeJS.Timeout>()
  private pumpTimer: NodeJS.Timeout | null = null
  private pumpImmediate: NodeJS.Immediate | null = null
  private ticker: NodeJS.Timeout | null = null
  private backlogged = false
  /** burst-2x: when the last send was allowed to go (a late send goes half a schedule interval after it). */
  private pace = 0
  /** burst-2x: the backlog was built waiting for connections: restart the pace when one frees up. */
  private repace = false
  private pumpAt = 0
  private readonly pumpBound = (): void => this.pump()
  private finish: (() => void) | null = null
  private sendWindowMs = 0
  private cleanup: (() => void) | null = null
  /** False for a warm-up engine: the connections belong to the measured engine that lent them. */
  private ownsConnections = true

  constructor(config: EngineConfig, source: RequestSource, onTick: (s: TickSnapshot) => void) {
    this.config = config
    this.source = source
    this.onTick = onTick
    this.myConnections = shareOf(config.connections, config.workerIndex, config.workerCount)
  }

  /**
   * Opens every connection of this engine before the schedule starts (a socket opened inside the measured
   * window delays the sends behind it), then runs the warm-up, if any, on those connections.
   */
  async prepare(signal?: AbortSignal): Promise<void> {
    const c = this.config
    for (let k = 0; k < this.myConnections; k++) {
      this.conns[k] ??= createConnection(c.transport, c.origin, c.pipelining, c.timeout, c.tls)
    }
    await Promise.all(this.conns.map((conn) => conn.connect()))
    if (c.warmup > 0 && signal?.aborted !== true) {
      // In-flight warm-up requests may finish (up to the timeout) instead of being cancelled, which would
      // destroy the lent connections.
      const warm = new Engine(
        { ...c, duration: c.warmup, amount: undefined, warmup: 0, gracefulStop: c.timeout + 1000 },
        this.source,
        () => {},
      )
      warm.conns = this.conns
      warm.ownsConnections = false
      await warm.run(now(), signal)
    }
  }

  /** Runs until the sending window ends and in-flight requests finish (or the grace period ends). */
  run(startAt: number, signal?: AbortSignal): Promise<void> {
    const c = this.config
    return new Promise<void>((resolve) => {
      this.finish = resolve
      const begin = () => {
        if (!this.ownsConnections) this.loopDelay = null
        else {
          this.loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS })
          this.loopDelay.enable()
        }
        this.start = now()
        this.sendEnd = this.start + c.duration
        this.sending = true
        if (c.amount !== undefined) this.iterationLimit = shareOf(c.amount, c.workerIndex, c.workerCount)
        this.scheduleTick()
        this.later(() => this.windowEnd(), c.duration)
        if (c.transport === 'raw') this.sweep()
        if (c.model === 'open') {
          this.schedule = createOpenSchedule({
            rate: c.rate,
            stages: c.stages,
            duration: c.duration,
            amount: c.amount,
          })
          this.localTotal = shareOf(this.schedule.total, c.workerIndex, c.workerCount)
          for (let k = 0; k < this.myConnections; k++) {
            for (let p = 0; p < c.pipelining; p++) this.free.push(this.slot(k))
          }
          this.free.reverse()
          this.pump()
        } else {
          this.control()
        }
      }
      if (signal) {
        if (signal.aborted) {
          this.stopped = true
          resolve()
          return
        }
        const onAbort = () => this.abort()
        signal.addEventListener('abort', onAbort, { once: true })
        this.cleanup = () => signal.removeEventListener('abort', onAbort)
      }
      const wait = startAt - now()
      if (wait > 0) this.later(begin, wait)
      else begin()
    })
  }

  private sweep(): void {
    const t = performance.now()
    for (const conn of this.conns) conn?.sweep?.(t)
    this.later(() => this.sweep(), Math.min(250, Math.max(10, this.config.timeout / 4)), false)
  }

  // The run's own clock (second ticks, window end, graceful stop) keeps the process alive while the awaited run
  // lasts: those timers stay ref'ed and are all cleared when it finishes. Housekeeping timers are unref'ed.
  private later(fn: () => void, ms: number, ref = true): void {
    const t = setTimeout(() => {
      this.timers.delete(t)
      fn()
    }, ms)
    if (!ref) t.unref()
    this.timers.add(t)
  }

  private slot(connection: number): Slot {
    let conn = this.conns[connection]
    if (!conn) {
      const c = this.config
      conn = createConnection(c.transport, c.origin, c.pipelining, c.timeout, c.tls)
      this.conns[connection] = conn
    }
    const slot = new Slot(this, conn, connection)
    this.slots.push(slot)
    return slot
  }

  // Closed model: adjusts the number of active connections (stages) and starts idle slots.
  private control(): void {
    if (!this.sending) return
    const c = this.config
    const t = now() - this.start
    const target = c.stages ? Math.round(valueAt(c.stages, 0, t)) : c.connections
    this.activeConnections = Math.min(this.myConnections, shareOf(target, c.workerIndex, c.workerCount))
    for (let k = 0; k < this.activeConnections; k++) {
      for (let p = 0; p < c.pipelining; p++) {
        const index = k * c.pipelining + p
        const slot = this.slots[index] ?? this.slot(k)
        if (!slot.busy) this.startIteration(slot, now())
      }
    }
    if (c.stages) this.later(() => this.control(), 50, false)
  }

  private startIteration(slot: Slot, startedAt: number): boolean {
    if (this.iterations >= this.iterationLimit) {
      this.endSending()
      return false
    }
    this.iterations++
    slot.begin(this.source.next(), startedAt)
    return true
  }

  // Open model: sends every due request that has a free slot; drops sends older than the timeout.
  private pump(): void {
    this.disarm()
    if (!this.sending) return
    const c = this.config
    const schedule = this.schedule!
    const n = c.workerCount
    const t = now()
    const due = shareOf(schedule.due(t - this.start), c.workerIndex, n)
    const capped = c.catchUp === 'burst-2x'
    if (capped && this.repace && this.free.length > 0) {
      // The backlog built while no connection was free goes out from now on at 2x the rate (at most
      // CATCH_UP_CREDIT_MS of credit), not all at once.
      this.pace = Math.max(this.pace, t - CATCH_UP_CREDIT_MS)
      this.repace = false
    }
    while (this.localSent < due && this.free.length > 0) {
      const index = this.localSent * n + c.workerIndex
      const at = schedule.timeOf(index)
      const intended = this.start + at
      const lag = t - intended
      if (lag > c.timeout || (!capped && lag > c.lateThreshold)) {
        this.localSent++
        this.tick.dropped++
        this.tick.error('DROPPED')
        continue
      }
      if (capped) {
        // Catch-up at most 2x the asked rate: a send goes no earlier than its intended time and no earlier than
        // half its schedule interval after the previous one.
        const gap = index >= n ? at - schedule.timeOf(index - n) : 0
        const allowed = Math.max(intended, this.pace + gap / 2)
        if (allowed > t) {
          this.pumpAt = allowed
          break
        }
        this.pace = allowed
      }
      this.localSent++
      if (lag > c.lateThreshold) {
        this.tick.late++
        if (!this.waitedForSlot) this.tick.lateGenerator++
      }
      this.free.pop()!.begin(this.source.next(), intended)
    }
    if (this.localSent >= this.localTotal) {
      this.endSending()
      return
    }
    this.backlogged = this.localSent < due
    const noSlot = this.backlogged && this.free.length === 0
    if (noSlot) this.repace = true
    this.waitedForSlot = noSlot || (this.backlogged && this.waitedForSlot)
    if (this.backlogged) {
      // Paced catch-up (free slots, pace ahead): wake at the pace. Else waiting for a free slot: complete() pumps.
      if (!noSlot) this.pumpTimer = setTimeout(this.pumpBound, Math.max(0, this.pumpAt - now()))
      return
    }
    const nextAt = schedule.timeOf(this.localSent * n + c.workerIndex)
    const delay = this.start + nextAt - now()
    const gap =
      this.localSent + 1 < this.localTotal
        ? schedule.timeOf((this.localSent + 1) * n + c.workerIndex) - nextAt
        : Number.POSITIVE_INFINITY
    // High rates (< 2 ms between this thread's sends): one repeating 1 ms ticker sends whatever is due, in
    // batches, at the cost of one timer wake per millisecond (not one per send).
    if (gap < SPIN_MIN_GAP_MS && delay < 1) {
      this.ticker ??= setInterval(this.pumpBound, 1)
      return
    }
    this.stopTicker()
    // Low rates: the timer wakes within about a millisecond of the send time (often early: libuv's millisecond
    // clock); the last fraction is slept precisely instead of spun (a spin cost 1.2-1.5 ms CPU per request).
    if (delay <= PRECISE_SLEEP_MS && gap >= SPIN_MIN_GAP_MS) {
      // Then send at once (no extra loop turn: each wake costs CPU); the next send is >= 2 ms away, so this
      // recursion is at most one level deep.
      if (delay > 0) sleepPrecisely(delay)
      this.pump()
      return
    }
    this.pumpTimer = setTimeout(this.pumpBound, Math.max(0, delay))
  }

  private stopTicker(): void {
    if (this.ticker !== null) clearInterval(this.ticker)
    this.ticker = null
  }

  private disarm(): void {
    if (this.pumpTimer !== null) clearTimeout(this.pumpTimer)
    if (this.pumpImmediate !== null) clearImmediate(this.pumpImmediate)
    this.pumpTimer = null
    this.pumpImmediate = null
  }

  requestSent(): void {
    this.inFlight++
    this.tick.sent++
  }

  complete(slot: Slot, error: Error | null): void {
    if (!slot.busy) return
    slot.busy = false
    this.inFlight--
    if (slot.thinking !== null) {
      clearTimeout(slot.thinking)
      slot.thinking = null
    }
    if (this.stopped) {
      this.tick.cancelled++
      this.maybeFinish()
      return
    }
    const t = now()
    const step = slot.current
    const name = step?.name ?? null
    // The rest of the iteration runs only after a step that did what later steps depend on.
    let next = error === null
    if (error === null && step !== null) {
      const failed = judge(step, slot)
      this.tick.response(t - slot.startedAt, t - slot.sentAt, slot.status, slot.bytes, failed === null)
      if (failed !== null) {
        this.tick.error(failed)
        if (step.captures !== null) next = false
      }
      if (name !== null) this.names.response(name, t - slot.startedAt, slot.status, failed)
    } else {
      const code = errorCode(error ?? new Error('no step'))
      this.tick.failure()
      this.tick.error(code)
      if (name !== null) this.names.failure(name, code)
    }
    slot.chunks = null
    slot.head = null
    if (next && slot.step + 1 < slot.plan.length && !this.stopped) {
      // A sequence started in the window runs to its end (within the graceful stop period).
      slot.step++
      const think = step?.think ?? 0
      if (think > 0) {
        // Thinking counts as in flight: the run waits for the iteration (or cancels it at the graceful stop).
        slot.busy = true
        this.inFlight++
        slot.thinking = setTimeout(() => {
          slot.thinking = null
          slot.busy = false
          this.inFlight--
          slot.send(now())
        }, think)
        return
      }
      slot.send(t)
      return
    }
    if (this.config.model === 'open') {
      this.free.push(slot)
      if (
        this.sending &&
        (this.backlogged || (this.pumpTimer === null && this.pumpImmediate === null && this.ticker === null))
      ) {
        this.pump()
      }
    } else if (this.sending && slot.connection < this.activeConnections) {
      if (error === null) this.startIteration(slot, t)
      // Back off briefly after a transport error (refused, reset): errors are counted, the CPU is not burnt.
      else
        this.later(
          () => this.sending && !slot.busy && this.startIteration(slot, now()),
          ERROR_BACKOFF_MS,
          false,
        )
    }
    this.maybeFinish()
  }

  // End of the sending window (timers may fire early: re-arm until the window really ended). In the open model,
  // sends still waiting for a free connection go out as connections free up, within the graceful stop period;
  // what is left then is dropped.
  private windowEnd(): void {
    const left = this.sendEnd - now()
    if (left > 0) {
      this.later(() => this.windowEnd(), left + 0.5)
      return
    }
    if (this.schedule !== null && this.sending && this.localSent < this.localTotal) {
      this.pump()
      if (this.sending) {
        this.later(() => this.stop(true), this.config.gracefulStop)
        return
      }
    }
    this.endSending()
  }

  private endSending(): void {
    if (!this.sending) return
    this.sending = false
    this.sendWindowMs = Math.min(now(), this.sendEnd) - this.start
    this.disarm()
    this.stopTicker()
    if (this.inFlight > 0) this.later(() => this.stop(false), this.config.gracefulStop)
    this.maybeFinish()
  }

  private abort(): void {
    if (this.stopped) return
    this.endSending()
    this.stop(false)
  }

  /**
   * Ends the grace period: in-flight requests are cancelled (counted as cancelled, not as errors); with
   * `dropUnsent`, scheduled sends that never found a free connection are counted as dropped.
   */
  private stop(dropUnsent: boolean): void {
    if (this.stopped) return
    if (dropUnsent && this.schedule !== null && this.localSent < this.localTotal) {
      const left = this.localTotal - this.localSent
      this.localSent = this.localTotal
      this.tick.dropped += left
      this.tick.error('DROPPED', left)
    }
    this.endSending()
    this.stopped = true
    for (const conn of this.conns) conn?.destroy()
    for (const slot of this.slots) if (slot.busy) this.complete(slot, null)
    this.maybeFinish()
  }

  private maybeFinish(): void {
    if (this.sending || this.inFlight > 0 || this.finish === null) return
    const done = this.finish
    this.finish = null
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    this.cleanup?.()
    this.emit(true)
    this.loopDelay?.disable()
    if (this.ownsConnections) for (const conn of this.conns) conn?.destroy()
    done()
  }

  private scheduleTick(): void {
    const next = this.start + (this.second + 1) * 1000
    this.later(
      () => {
        if (this.finish === null) return
        this.emit(false)
        this.second++
        this.scheduleTick()
      },
      Math.max(0, next - now()),
    )
  }

  private emit(final: boolean): void {
    const snap: TickSnapshot = {
      engine: this.config.engine,
      second: this.second,
      final,
      ...this.tick.take(this.config.encode),
      loopDelayMs: final && this.loopDelay !== null ? loopFigures(this.loopDelay) : null,
      inFlight: this.inFlight,
      elapsedMs: now() - this.start,
      sendWindowMs: final ? this.sendWindowMs : 0,
      names: final && this.names.size > 0 ? this.names.snapshot(this.config.encode) : null,
      protocols: final ? protocolsOf(this.conns) : [],
    }
    this.onTick(snap)
  }
}

/** Sampling interval of the generator's event-loop delay monitor, ms (coarse: each sample is a timer wake). */
const LOOP_RESOLUTION_MS = 50

function loopFigures(h: ReturnType<typeof monitorEventLoopDelay>): { p50: number; p99: number; max: number } {
  // Nanoseconds between the monitor's timer wakes: the delay is what exceeds its interval (clamped at 0).
  const ms = (ns: number) => Math.max(0, Math.round(ns / 1e3 - LOOP_RESOLUTION_MS * 1e3) / 1e3)
  if (h.count === 0) return { p50: 0, p99: 0, max: 0 }
  return { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) }
}

/** The protocols the connections ended up speaking. */
function protocolsOf(conns: readonly Connection[]): string[] {
  const set = new Set<string>()
  for (const c of conns) if (c?.protocol) set.add(c.protocol)
  return [...set]
}
