// Per-name statistics: every named scenario request gets its own latency histogram, counts, status codes and
// errors. Engines accumulate them over the whole run and report them once, in their final snapshot.
import {
  addHistogram,
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  type Histogram,
  recordMs,
} from './histogram.ts'

/** One name's figures as an engine reports them (the histogram itself in-process, encoded from a worker). */
export interface NameSnapshot {
  completed: number
  responses: number
  ok: number
  errors: Record<string, number>
  statusCodes: Record<string, number>
  histogram: Histogram | string
}

/**
 * Distinct names kept apart; a programmable scenario that makes up more (an id in a name) folds the rest into
 * OTHER_NAME, so memory stays bounded.
 */
export const MAX_NAMES = 1000
export const OTHER_NAME = '(other)'

class NameCounter {
  completed = 0
  responses = 0
  ok = 0
  readonly errors = new Map<string, number>()
  readonly statusCodes = new Map<number, number>()
  readonly hist: Histogram = createHistogram()
}

export class NameStats {
  readonly #byName = new Map<string, NameCounter>()

  #counter(name: string): NameCounter {
    let c = this.#byName.get(name)
    if (c === undefined) {
      const key = this.#byName.size >= MAX_NAMES ? OTHER_NAME : name
      c = this.#byName.get(key)
      if (c === undefined) {
        c = new NameCounter()
        this.#byName.set(key, c)
      }
    }
    return c
  }

  /** A response: its latency, its status, and the error code when it failed a check (null: ok). */
  response(name: string, latencyMs: number, status: number, error: string | null): void {
    const c = this.#counter(name)
    c.completed++
    c.responses++
    recordMs(c.hist, latencyMs)
    c.statusCodes.set(status, (c.statusCodes.get(status) ?? 0) + 1)
    if (error === null) c.ok++
    else c.errors.set(error, (c.errors.get(error) ?? 0) + 1)
  }

  /** A transport (or scenario) error: completed without a response. */
  failure(name: string, code: string): void {
    const c = this.#counter(name)
    c.completed++
    c.errors.set(code, (c.errors.get(code) ?? 0) + 1)
  }

  get size(): number {
    return this.#byName.size
  }

  snapshot(encode: boolean): Record<string, NameSnapshot> {
    const out: Record<string, NameSnapshot> = {}
    for (const [name, c] of this.#byName) {
      out[name] = {
        completed: c.completed,
        responses: c.responses,
        ok: c.ok,
        errors: Object.fromEntries(c.errors),
        statusCodes: Object.fromEntries([...c.statusCodes].map(([k, v]) => [String(k), v])),
        histogram: encode ? encodeHistogram(c.hist) : c.hist,
      }
    }
    return out
  }
}

/** Names merged across engines (or result files): counts add up, histograms merge exactly. */
export class NameTotals {
  readonly #byName = new Map<string, Omit<NameSnapshot, 'histogram'> & { histogram: Histogram }>()

  add(names: Record<string, NameSnapshot>): void {
    for (const [name, s] of Object.entries(names)) {
      let t = this.#byName.get(name)
      if (t === undefined) {
        t = { completed: 0, responses: 0, ok: 0, errors: {}, statusCodes: {}, histogram: createHistogram() }
        this.#byName.set(name, t)
      }
      t.completed += s.completed
      t.responses += s.responses
      t.ok += s.ok
      for (const [k, v] of Object.entries(s.errors)) t.errors[k] = (t.errors[k] ?? 0) + v
      for (const [k, v] of Object.entries(s.statusCodes)) t.statusCodes[k] = (t.statusCodes[k] ?? 0) + v
      addHistogram(t.histogram, typeof s.histogram === 'string' ? decodeHistogram(s.histogram) : s.histogram)
    }
  }

  /** In `order` first (a declarative scenario's names as written), then as first seen. */
  entries(
    order: readonly string[] = [],
  ): Array<[string, Omit<NameSnapshot, 'histogram'> & { histogram: Histogram }]> {
    const rank = (n: string) => {
      const i = order.indexOf(n)
      return i < 0 ? order.length : i
    }
    return [...this.#byName].sort(([a], [b]) => rank(a) - rank(b))
  }
}
