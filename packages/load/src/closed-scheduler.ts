// The closed model's scheduler: keeps `connections x pipelining` slots busy (the active connections follow the
// stages), starts the next iteration as a slot finishes, pauses a slot briefly after a transport error.
import type { EngineConfig } from './engine-config.ts'
import type { RequestSource } from './requests.ts'
import { shareOf } from './schedule.ts'
import type { Slot } from './slot.ts'
import { valueAt } from './stages.ts'
import { now } from './clock.ts'

/** Pause of a slot after a transport error before its next request. */
const ERROR_BACKOFF_MS = 10
/** How often the active connections follow the stages, ms. */
const CONTROL_MS = 50

/** What the scheduler asks of its engine. */
export interface ClosedHost {
  /** The sending window is open. */
  sending(): boolean
  /** The iterations are used up. */
  endSending(): void
  /** Slot `index` (connection `index / pipelining`), created on first use. */
  slot(index: number): Slot
  /** A housekeeping timer of the run (cleared when it ends). */
  later(fn: () => void, ms: number): void
}

export class ClosedScheduler {
  readonly #config: EngineConfig
  readonly #source: RequestSource
  readonly #host: ClosedHost
  /** When the run started (ms on the engine's clock). */
  readonly #start: number
  /** Connections of this engine, and those currently active (stages). */
  readonly #connections: number
  #active = 0
  #iterations = 0
  readonly #limit: number

  constructor(config: EngineConfig, start: number, source: RequestSource, host: ClosedHost) {
    this.#config = config
    this.#start = start
    this.#source = source
    this.#host = host
    this.#connections = shareOf(config.connections, config.workerIndex, config.workerCount)
    this.#limit =
      config.amount === undefined
        ? Number.POSITIVE_INFINITY
        : shareOf(config.amount, config.workerIndex, config.workerCount)
  }

  /** Adjusts the number of active connections (stages) and starts idle slots. */
  control(): void {
    if (!this.#host.sending()) return
    const c = this.#config
    const t = now() - this.#start
    const target = c.stages ? Math.round(valueAt(c.stages, 0, t)) : c.connections
    this.#active = Math.min(this.#connections, shareOf(target, c.workerIndex, c.workerCount))
    for (let k = 0; k < this.#active; k++) {
      for (let p = 0; p < c.pipelining; p++) {
        const slot = this.#host.slot(k * c.pipelining + p)
        if (!slot.busy) this.#begin(slot, now())
      }
    }
    if (c.stages) this.#host.later(() => this.control(), CONTROL_MS)
  }

  /** A slot finished its iteration at `t` (error: its last step's transport failure, if any). */
  release(slot: Slot, error: Error | null, t: number): void {
    if (!this.#host.sending() || slot.connection >= this.#active) return
    if (error === null) this.#begin(slot, t)
    // Back off briefly after a transport error (refused, reset): errors are counted, the CPU is not burnt.
    else
      this.#host.later(() => this.#host.sending() && !slot.busy && this.#begin(slot, now()), ERROR_BACKOFF_MS)
  }

  #begin(slot: Slot, startedAt: number): boolean {
    if (this.#iterations >= this.#limit) {
      this.#host.endSending()
      return false
    }
    this.#iterations++
    slot.begin(this.#source.next(), startedAt)
    return true
  }
}
