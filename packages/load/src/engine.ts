// One thread's load engine: its connections (raw HTTP/1.1 or undici Client) and their slots, completions, the
// run's clock and per-second snapshots; each model's own scheduler (closed-scheduler.ts, open-scheduler.ts)
// decides when a slot sends.
import type { Connection, ConnectionFactory } from './connection.ts'
import type { EngineConfig } from './engine-config.ts'
import { errorCode } from './failure-codes.ts'
import { GeneratorHealth } from './generator-health.ts'
import { ClosedScheduler } from './closed-scheduler.ts'
import { judge } from './judge.ts'
import { NameStats } from './name-stats.ts'
import type { RequestSource } from './requests.ts'
import { OpenScheduler } from './open-scheduler.ts'
import { shareOf } from './schedule.ts'
import { Slot, type SlotOwner } from './slot.ts'
import type { TickSnapshot } from './tick.ts'
import { TickCounters } from './tick-counters.ts'
import { now } from './clock.ts'

export type { EngineConfig } from './engine-config.ts'

export class Engine implements SlotOwner {
  readonly config: EngineConfig
  readonly source: RequestSource
  readonly onTick: (s: TickSnapshot) => void
  private inFlight = 0
  /** This second's figures. */
  private readonly tick = new TickCounters()
  /** The generator's own health over the measured run (null for a warm-up engine). */
  private health: GeneratorHealth | null = null
  /** Per-name totals of the whole run (reported in the final snapshot). */
  private readonly names = new NameStats()
  private conns: Connection[] = []
  /** Makes the connections of the run's transport (connectionFactory: the transport's module is loaded). */
  private readonly factory: ConnectionFactory
  private slots: Slot[] = []
  /** The open model's scheduler (null in the closed model, and before the start). */
  private open: OpenScheduler | null = null
  private start = 0
  private sendEnd = 0
  private sending = false
  private stopped = false
  private second = 0
  /** The closed model's scheduler (null in the open model, and before the start). */
  private closed: ClosedScheduler | null = null
  private myConnections: number
  private timers = new Set<NodeJS.Timeout>()
  private finish: (() => void) | null = null
  private sendWindowMs = 0
  private cleanup: (() => void) | null = null
  /** False for a warm-up engine: the connections belong to the measured engine that lent them. */
  private ownsConnections = true

  constructor(
    config: EngineConfig,
    source: RequestSource,
    onTick: (s: TickSnapshot) => void,
    factory: ConnectionFactory,
  ) {
    this.config = config
    this.source = source
    this.onTick = onTick
    this.factory = factory
    this.myConnections = shareOf(config.connections, config.workerIndex, config.workerCount)
  }

  /**
   * Opens every connection of this engine before the schedule starts (a socket opened inside the measured
   * window delays the sends behind it), then runs the warm-up, if any, on those connections.
   */
  async prepare(signal?: AbortSignal): Promise<void> {
    const c = this.config
    for (let k = 0; k < this.myConnections; k++) {
      this.conns[k] ??= this.newConnection()
    }
    await Promise.all(this.conns.map((conn) => conn.connect()))
    if (c.warmup > 0 && signal?.aborted !== true) {
      // In-flight warm-up requests may finish (up to the timeout) instead of being cancelled, which would
      // destroy the lent connections.
      const warm = new Engine(
        { ...c, duration: c.warmup, amount: undefined, warmup: 0, gracefulStop: c.timeout + 1000 },
        this.source,
        () => {},
        this.factory,
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
        this.health = this.ownsConnections ? new GeneratorHealth() : null
        this.start = now()
        this.sendEnd = this.start + c.duration
        this.sending = true
        this.scheduleTick()
        this.later(() => this.windowEnd(), c.duration)
        if (c.transport === 'raw') this.sweep()
        if (c.model === 'open') {
          const open = new OpenScheduler(c, this.start, this.tick, this.source, {
            sending: () => this.sending,
            endSending: () => this.endSending(),
          })
          this.open = open
          for (let k = 0; k < this.myConnections; k++) {
            for (let p = 0; p < c.pipelining; p++) open.free.push(this.slot(k))
          }
          open.free.reverse()
          open.pump()
        } else {
          this.closed = new ClosedScheduler(c, this.start, this.source, {
            sending: () => this.sending,
            endSending: () => this.endSending(),
            slot: (index) => this.slots[index] ?? this.slot(Math.floor(index / c.pipelining)),
            later: (fn, ms) => this.later(fn, ms, false),
          })
          this.closed.control()
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

  private newConnection(): Connection {
    const c = this.config
    return this.factory(c.origin, c.pipelining, c.timeout, c.tls)
  }

  private slot(connection: number): Slot {
    let conn = this.conns[connection]
    if (!conn) {
      conn = this.newConnection()
      this.conns[connection] = conn
    }
    const slot = new Slot(this, conn, connection)
    this.slots.push(slot)
    return slot
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
    if (this.open !== null) this.open.release(slot)
    else this.closed?.release(slot, error, t)
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
    if (this.open !== null && this.sending && this.open.unsent > 0) {
      this.open.pump()
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
    this.open?.stop()
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
    if (dropUnsent && this.open !== null && this.open.unsent > 0) {
      const left = this.open.dropUnsent()
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
      health: final && this.health !== null ? this.health.stop() : null,
      inFlight: this.inFlight,
      elapsedMs: now() - this.start,
      sendWindowMs: final ? this.sendWindowMs : 0,
      names: final && this.names.size > 0 ? this.names.snapshot(this.config.encode) : null,
      protocols: final ? protocolsOf(this.conns) : [],
    }
    this.onTick(snap)
    this.tick.resetHistograms()
  }
}

/** The protocols the connections ended up speaking. */
function protocolsOf(conns: readonly Connection[]): string[] {
  const set = new Set<string>()
  for (const c of conns) if (c?.protocol) set.add(c.protocol)
  return [...set]
}
