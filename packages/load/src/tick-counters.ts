// One engine's figures of the current second: latency histograms and counts, handed out as a snapshot (and reset)
// once per second.
import { createHistogram, encodeHistogram, type Histogram, recordMs } from './histogram.ts'
import type { TickSnapshot } from './tick.ts'

/** The per-second part of a TickSnapshot. */
export type TickFigures = Pick<
  TickSnapshot,
  | 'requests'
  | 'responses'
  | 'ok'
  | 'bytes'
  | 'errors'
  | 'statusCodes'
  | 'sent'
  | 'late'
  | 'dropped'
  | 'cancelled'
  | 'histogram'
  | 'histogramSent'
  | 'lateGenerator'
>

export class TickCounters {
  /** Latencies from the intended (open model) or real send time. */
  #hist: Histogram = createHistogram()
  /** Send-to-response latencies (wrk2's -U): the target's share, without the generator's own lag. */
  #histSent: Histogram = createHistogram()
  #requests = 0
  #responses = 0
  #ok = 0
  #bytes = 0
  #errors = new Map<string, number>()
  /** Responses by status code (index = status). */
  readonly #status = new Float64Array(600)
  sent = 0
  late = 0
  /** Late sends that had a free connection: the generator (timer, event loop), not the target, was late. */
  lateGenerator = 0
  dropped = 0
  cancelled = 0

  /** A response: its latencies (from the start and from the real send), status, body bytes, and whether ok. */
  response(latencyMs: number, sentMs: number, status: number, bytes: number, ok: boolean): void {
    recordMs(this.#hist, latencyMs)
    recordMs(this.#histSent, sentMs)
    this.#requests++
    this.#responses++
    this.#bytes += bytes
    if (status >= 0 && status < 600) this.#status[status]!++
    if (ok) this.#ok++
  }

  /** A request completed without a response (transport error). */
  failure(): void {
    this.#requests++
  }

  /** Counts an error by its code (n times). */
  error(code: string, n = 1): void {
    this.#errors.set(code, (this.#errors.get(code) ?? 0) + n)
  }

  /**
   * The second's figures; the counters start again. The histograms are the counters' own (or their encoding):
   * in-process they are valid only during the synchronous onTick call, and resetHistograms() empties them after
   * it, so a run does not allocate two 94 KB histograms a second.
   */
  take(encode: boolean): TickFigures {
    const h = this.#hist
    const hs = this.#histSent
    const figures: TickFigures = {
      requests: this.#requests,
      responses: this.#responses,
      ok: this.#ok,
      bytes: this.#bytes,
      errors: Object.fromEntries(this.#errors),
      statusCodes: statusRecord(this.#status),
      sent: this.sent,
      late: this.late,
      dropped: this.dropped,
      cancelled: this.cancelled,
      histogram: encode ? encodeHistogram(h) : h,
      histogramSent: encode ? encodeHistogram(hs) : hs,
      lateGenerator: this.lateGenerator,
    }
    this.#requests = 0
    this.#responses = 0
    this.#ok = 0
    this.#bytes = 0
    this.#errors = new Map()
    this.#status.fill(0)
    this.sent = 0
    this.late = 0
    this.lateGenerator = 0
    this.dropped = 0
    this.cancelled = 0
    return figures
  }

  /** Empties the histograms of the figures taken last (call once their onTick returned). */
  resetHistograms(): void {
    this.#hist.reset()
    this.#histSent.reset()
  }
}

function statusRecord(counts: Float64Array): Record<string, number> {
  const out: Record<string, number> = {}
  for (let i = 0; i < counts.length; i++) if (counts[i]! > 0) out[String(i)] = counts[i]!
  return out
}
