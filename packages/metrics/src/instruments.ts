// Pre-aggregating counters and histograms for the hot path. A series is looked up by a string key
// and updated in place; the exporters read the families through a MetricProducer (producer.ts).
import { FINE_SIZE, fineIndex, type SparseCounts, toSparse } from './fine.ts'

export type AttributeValue = string | number | boolean
export type Attributes = Record<string, AttributeValue>

/** Attributes of the series that absorbs everything past an instrument's cardinality limit. */
export const OVERFLOW_ATTRIBUTES: Readonly<Attributes> = Object.freeze({ 'otel.metric.overflow': true })

const SEP = '\u0001'
const END = '\u0002'

/** Order-independent key of an attribute set. */
export function canonicalKey(attributes: Attributes): string {
  const keys = Object.keys(attributes).sort()
  let key = ''
  for (const k of keys) key += k + SEP + String(attributes[k]) + END
  return key
}

function insertionKey(attributes: Attributes): string {
  let key = ''
  for (const k in attributes) key += k + SEP + String(attributes[k]) + END
  return key
}

export class HistogramSeries {
  readonly attributes: Attributes
  readonly boundaries: readonly number[]
  count = 0
  sum = 0
  min: number = Number.POSITIVE_INFINITY
  max: number = Number.NEGATIVE_INFINITY
  readonly counts: Float64Array
  readonly fine: Uint32Array = new Uint32Array(FINE_SIZE)

  constructor(attributes: Attributes, boundaries: readonly number[]) {
    this.attributes = attributes
    this.boundaries = boundaries
    this.counts = new Float64Array(boundaries.length + 1)
  }

  record(value: number): void {
    if (!(value >= 0) || value === Number.POSITIVE_INFINITY) return
    this.count++
    this.sum += value
    if (value < this.min) this.min = value
    if (value > this.max) this.max = value
    const b = this.boundaries
    const n = b.length
    let i = 0
    while (i < n && value > (b[i] as number)) i++
    this.counts[i] = (this.counts[i] as number) + 1
    const f = fineIndex(value)
    this.fine[f] = (this.fine[f] as number) + 1
  }
}

export class CounterSeries {
  readonly attributes: Attributes
  value = 0
  constructor(attributes: Attributes) {
    this.attributes = attributes
  }
  add(n: number): void {
    if (n >= 0) this.value += n
  }
}

export interface InstrumentDescription {
  name: string
  description: string
  unit: string
}

abstract class Family<S> {
  readonly name: string
  readonly description: string
  readonly unit: string
  readonly limit: number
  /** Series by canonical key (also holds insertion-order aliases, see `series`). */
  protected readonly byKey: Map<string, S> = new Map()
  protected readonly unique: Map<string, S> = new Map()
  protected overflowSeries: S | undefined

  constructor(desc: InstrumentDescription, limit: number) {
    this.name = desc.name
    this.description = desc.description
    this.unit = desc.unit
    this.limit = limit
  }

  protected abstract create(attributes: Attributes): S

  /** The series already bound to a caller-built key, if any (the hot path). */
  lookup(key: string): S | undefined {
    return this.byKey.get(key)
  }

  /** The series for a caller-built key; `attributes` builds its attributes on first use only. */
  seriesFor(key: string, attributes: () => Attributes): S {
    const found = this.byKey.get(key)
    if (found !== undefined) return found
    const attrs = attributes()
    const canonical = canonicalKey(attrs)
    let series = this.unique.get(canonical)
    if (series === undefined) {
      if (this.unique.size >= this.limit) return this.overflow()
      series = this.create(attrs)
      this.unique.set(canonical, series)
    }
    this.byKey.set(key, series)
    return series
  }

  /** The series for an attribute object (any key order). */
  series(attributes: Attributes): S {
    const key = insertionKey(attributes)
    const found = this.byKey.get(key)
    if (found !== undefined) return found
    return this.seriesFor(key, () => ({ ...attributes }))
  }

  protected overflow(): S {
    this.overflowSeries ??= this.create({ ...OVERFLOW_ATTRIBUTES })
    return this.overflowSeries
  }

  all(): S[] {
    const out = [...this.unique.values()]
    if (this.overflowSeries !== undefined) out.push(this.overflowSeries)
    return out
  }

  get size(): number {
    return this.unique.size
  }
}

export interface HistogramSeriesSnapshot {
  attributes: Attributes
  count: number
  sum: number
  min: number
  max: number
  counts: number[]
  fine: SparseCounts
}

export interface HistogramSnapshot extends InstrumentDescription {
  type: 'histogram'
  boundaries: number[]
  series: HistogramSeriesSnapshot[]
}

export interface CounterSnapshot extends InstrumentDescription {
  type: 'counter'
  series: Array<{ attributes: Attributes; value: number }>
}

/** A histogram with explicit export buckets plus fine buckets for percentiles. */
export class HistogramFamily extends Family<HistogramSeries> {
  readonly boundaries: readonly number[]

  constructor(desc: InstrumentDescription, boundaries: readonly number[], limit: number) {
    super(desc, limit)
    this.boundaries = Object.freeze([...boundaries])
  }

  protected create(attributes: Attributes): HistogramSeries {
    return new HistogramSeries(attributes, this.boundaries)
  }

  /** Records one value (in the instrument's unit) for an attribute set. */
  record(value: number, attributes: Attributes = {}): void {
    this.series(attributes).record(value)
  }

  snapshot(): HistogramSnapshot {
    return {
      type: 'histogram',
      name: this.name,
      description: this.description,
      unit: this.unit,
      boundaries: [...this.boundaries],
      series: this.all()
        .filter((s) => s.count > 0)
        .map((s) => ({
          attributes: { ...s.attributes },
          count: s.count,
          sum: s.sum,
          min: s.min,
          max: s.max,
          counts: Array.from(s.counts),
          fine: toSparse(s.fine),
        })),
    }
  }
}

/** A monotonic counter. */
export class CounterFamily extends Family<CounterSeries> {
  protected create(attributes: Attributes): CounterSeries {
    return new CounterSeries(attributes)
  }

  add(value: number, attributes: Attributes = {}): void {
    this.series(attributes).add(value)
  }

  snapshot(): CounterSnapshot {
    return {
      type: 'counter',
      name: this.name,
      description: this.description,
      unit: this.unit,
      series: this.all().map((s) => ({ attributes: { ...s.attributes }, value: s.value })),
    }
  }
}
