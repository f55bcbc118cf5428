// The open model's scheduler: sends on the schedule (a pure function of time) whenever a slot is free, paces the
// catch-up after falling behind (burst-2x) or drops late sends ('drop'), and wakes once per send at low rates.
import type { EngineConfig } from './engine-config.ts'
import type { RequestSource } from './requests.ts'
import { createOpenSchedule, type OpenSchedule, shareOf } from './schedule.ts'
import type { Slot } from './slot.ts'
import type { TickCounters } from './tick-counters.ts'
import { now } from './clock.ts'

/** burst-2x: catch-up credit a send may draw on, ms of schedule (bounds the burst right after a stall). */
const CATCH_UP_CREDIT_MS = 1

/**
 * Open model, low rates: a millisecond timer fires up to ~1 ms early (libuv's clock is whole milliseconds). A send
 * at most this early goes out at once and its latency counts from the real send time (never below the truth):
 * waiting out the rest cost a second sleep and wake per send (a futex wait of up to 1.5 ms: 60-200 µs CPU here).
 */
const EARLY_SEND_MS = 1
/** ... only when this thread's sends are at least this far apart (below ~500 req/s per thread). */
const SPIN_MIN_GAP_MS = 2

/** What the scheduler asks of its engine. */
export interface OpenHost {
  /** The sending window is open. */
  sending(): boolean
  /** Every scheduled send of this engine went out (or was dropped). */
  endSending(): void
}

export class OpenScheduler {
  /** Slots without a request in flight, the most recently freed last (reused first). */
  readonly free: Slot[] = []
  readonly #config: EngineConfig
  readonly #host: OpenHost
  readonly #tick: TickCounters
  readonly #source: RequestSource
  readonly #schedule: OpenSchedule
  /** When the schedule started (ms on the engine's clock). */
  readonly #start: number
  /** This engine's sends so far (sent or dropped) and in all. */
  #localSent = 0
  readonly #localTotal: number
  #pumpTimer: NodeJS.Timeout | null = null
  #ticker: NodeJS.Timeout | null = null
  #backlogged = false
  /** burst-2x: when the last send was allowed to go (a late send goes half a schedule interval after it). */
  #pace = 0
  /** burst-2x: the backlog was built waiting for connections: restart the pace when one frees up. */
  #repace = false
  #pumpAt = 0
  /** The last pump ended waiting for a free connection: the sends behind it are late because of the target. */
  #waitedForSlot = false
  readonly #pumpBound = (): void => this.pump()

  constructor(
    config: EngineConfig,
    start: number,
    tick: TickCounters,
    source: RequestSource,
    host: OpenHost,
  ) {
    this.#config = config
    this.#start = start
    this.#tick = tick
    this.#source = source
    this.#host = host
    this.#schedule = createOpenSchedule({
      rate: config.rate,
      stages: config.stages,
      duration: config.duration,
      amount: config.amount,
    })
    this.#localTotal = shareOf(this.#schedule.total, config.workerIndex, config.workerCount)
  }

  /** Scheduled sends of this engine not sent (nor dropped) yet. */
  get unsent(): number {
    return this.#localTotal - this.#localSent
  }

  /** Gives up the sends still unsent (the graceful stop ended): returns how many, to count as dropped. */
  dropUnsent(): number {
    const left = this.unsent
    this.#localSent = this.#localTotal
    return left
  }

  /** A slot finished its iteration: free it, and send at once when sends wait for it (or nothing else will wake). */
  release(slot: Slot): void {
    this.free.push(slot)
    if (this.#host.sending() && (this.#backlogged || (this.#pumpTimer === null && this.#ticker === null))) {
      this.pump()
    }
  }

  /** No more sends: the timers stop. */
  stop(): void {
    this.#disarm()
    this.#stopTicker()
  }

  /**
   * Sends every due request that has a free slot; drops sends older than the timeout (or late, with 'drop').
   * `ahead` (low rates): sends due within that many ms go out now, timed from now.
   */
  pump(ahead = 0): void {
    this.#disarm()
    if (!this.#host.sending()) return
    const c = this.#config
    const schedule = this.#schedule
    const n = c.workerCount
    const t = now()
    const due = shareOf(schedule.due(t + ahead - this.#start), c.workerIndex, n)
    const capped = c.catchUp === 'burst-2x'
    if (capped && this.#repace && this.free.length > 0) {
      // The backlog built while no connection was free goes out from now on at 2x the rate (at most
      // CATCH_UP_CREDIT_MS of credit), not all at once.
      this.#pace = Math.max(this.#pace, t - CATCH_UP_CREDIT_MS)
      this.#repace = false
    }
    while (this.#localSent < due && this.free.length > 0) {
      const index = this.#localSent * n + c.workerIndex
      const at = schedule.timeOf(index)
      const intended = this.#start + at
      const lag = t - intended
      if (lag > c.timeout || (!capped && lag > c.lateThreshold)) {
        this.#localSent++
        this.#tick.dropped++
        this.#tick.error('DROPPED')
        continue
      }
      if (capped) {
        // Catch-up at most 2x the asked rate: a send goes no earlier than its intended time and no earlier than
        // half its schedule interval after the previous one.
        const gap = index >= n ? at - schedule.timeOf(index - n) : 0
        const allowed = Math.max(intended, this.#pace + gap / 2)
        if (allowed > t + ahead) {
          this.#pumpAt = allowed
          break
        }
        this.#pace = allowed
      }
      this.#localSent++
      if (lag > c.lateThreshold) {
        this.#tick.late++
        if (!this.#waitedForSlot) this.#tick.lateGenerator++
      }
      // An early send (ahead) is timed from its real send: its latency is never below the truth.
      this.free.pop()!.begin(this.#source.next(), Math.min(intended, t))
    }
    if (this.#localSent >= this.#localTotal) {
      this.#host.endSending()
      return
    }
    this.#backlogged = this.#localSent < due
    const noSlot = this.#backlogged && this.free.length === 0
    if (noSlot) this.#repace = true
    this.#waitedForSlot = noSlot || (this.#backlogged && this.#waitedForSlot)
    if (this.#backlogged) {
      // Paced catch-up (free slots, pace ahead): wake at the pace. Else waiting for a free slot: complete() pumps.
      if (!noSlot) this.#pumpTimer = setTimeout(this.#pumpBound, Math.max(0, this.#pumpAt - now()))
      return
    }
    const nextAt = schedule.timeOf(this.#localSent * n + c.workerIndex)
    const delay = this.#start + nextAt - now()
    const gap =
      this.#localSent + 1 < this.#localTotal
        ? schedule.timeOf((this.#localSent + 1) * n + c.workerIndex) - nextAt
        : Number.POSITIVE_INFINITY
    // High rates (< 2 ms between this thread's sends): one repeating 1 ms ticker sends whatever is due, in
    // batches, at the cost of one timer wake per millisecond (not one per send).
    if (gap < SPIN_MIN_GAP_MS && delay < 1) {
      this.#ticker ??= setInterval(this.#pumpBound, 1)
      return
    }
    this.#stopTicker()
    // Low rates: the timer wakes within about a millisecond of the send time (often early: libuv's millisecond
    // clock); a send at most EARLY_SEND_MS away goes now. The next one is >= 2 ms away, so this recursion is at
    // most one level deep.
    if (delay <= EARLY_SEND_MS && gap >= SPIN_MIN_GAP_MS) {
      this.pump(Math.max(0, delay))
      return
    }
    this.#pumpTimer = setTimeout(this.#pumpBound, Math.max(0, delay))
  }

  #stopTicker(): void {
    if (this.#ticker !== null) clearInterval(this.#ticker)
    this.#ticker = null
  }

  #disarm(): void {
    if (this.#pumpTimer !== null) clearTimeout(this.#pumpTimer)
    this.#pumpTimer = null
  }
}
