// Pre-aggregating counters and histograms for the hot path. A series is looked up by a string key
// and updated in place; the exporters read the families through a MetricProducer (producer.ts).
import { FINE_SIZE, fineIndex, type SparseCounts, toSparse } from './fine.ts'

export type AttributeValue = string | number | boolean
export type Attributes = Record<string, AttributeValue>

/** Attributes of the series that absorbs everything past an instrument's cardinality limit. */
export const OVERFLOW_ATTRIBUTES: Readonly<Attributes> = Object.freeze({ 'otel.metric.overflow': true })

const LEAF = Symbol('series')
const SEP = '\u0001'
const END = '\u0002'

/** Order-independent key of an attribute set. */
export function canonicalKey(attributes: Attributes): string {
  const keys = Object.keys(attributes).sort()
  let key = ''
  for (const k of keys) key += k + SEP + String(attributes[k]) + END
  return key
}

export class HistogramSeries {
  readonly attributes: Attributes
  readonly boundaries: Float64Array
  count = 0
  sum = 0
  min: number = Number.POSITIVE_INFINITY
  max: number = Number.NEGATIVE_INFINITY
  readonly counts: Float64Array
  readonly fine: Uint32Array = new Uint32Array(FINE_SIZE)

  constructor(attributes: Attributes, boundaries: Float64Array) {
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
    while (i < n && value > (b[i] as number)) i++ // ~15 advised boundaries: a linear scan beats a binary search
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

abstract class Family<S extends object> {
  readonly name: string
  readonly description: string
  readonly unit: string
  readonly limit: number
  /** Distinct series by canonical attribute key. */
  protected readonly unique: Map<string, S> = new Map()
  protected overflowSeries: S | undefined
  /** Hot-path index: raw payload values -> series, one Map level per value (no string building). */
  private readonly tree: Map<unknown, unknown> = new Map()
  /** Attribute objects -> series: one Map level per key and per value, in the object's key order. */
  private readonly attributeTree: Map<unknown, unknown> = new Map()
  /** Bound on the index entries: raw values that fold into one series (e.g. `other`) must not grow it forever. */
  private indexed = 0

  constructor(desc: InstrumentDescription, limit: number) {
    this.name = desc.name
    this.description = desc.description
    this.unit = desc.unit
    this.limit = limit
  }

  protected abstract create(attributes: Attributes): S

  private resolve(attrs: Attributes): S {
    const canonical = canonicalKey(attrs)
    let series = this.unique.get(canonical)
    if (series === undefined) {
      if (this.unique.size >= this.limit) return this.overflow()
      series = this.create(attrs)
      this.unique.set(canonical, series)
    }
    return series
  }

  private canIndex(series: S): boolean {
    if (series === this.overflowSeries || this.indexed >= this.limit * 4) return false
    this.indexed++
    return true
  }

  /** Hot path: the series bound to one raw value, if any. */
  at1(a: unknown): S | undefined {
    return this.tree.get(a) as S | undefined
  }

  /** Hot path: the series bound to two raw values, if any. */
  at2(a: unknown, b: unknown): S | undefined {
    const m = this.tree.get(a) as Map<unknown, unknown> | undefined
    return m === undefined ? undefined : (m.get(b) as S | undefined)
  }

  /** Hot path: the series bound to three raw values, if any. */
  at3(a: unknown, b: unknown, c: unknown): S | undefined {
    const m = this.tree.get(a) as Map<unknown, Map<unknown, unknown>> | undefined
    if (m === undefined) return undefined
    const n = m.get(b)
    return n === undefined ? undefined : (n.get(c) as S | undefined)
  }

  /** The series bound to any number of raw values, if any. */
  at(values: readonly unknown[]): S | undefined {
    let node: unknown = this.tree
    for (const v of values) {
      if (node === undefined) return undefined
      node = (node as Map<unknown, unknown>).get(v)
    }
    return node as S | undefined
  }

  /**
   * Binds raw values to the series of the attributes `attributes()` builds (called on first use only).
   * Every call site of a family must use the same number of values.
   */
  bind(values: readonly unknown[], attributes: () => Attributes): S {
    const found = this.at(values)
    if (found !== undefined) return found
    const series = this.resolve(attributes())
    if (this.canIndex(series)) {
      let node = this.tree
      for (let i = 0; i < values.length - 1; i++) {
        let next = node.get(values[i]) as Map<unknown, unknown> | undefined
        if (next === undefined) {
          next = new Map()
          node.set(values[i], next)
        }
        node = next
      }
      node.set(values[values.length - 1], series)
    }
    return series
  }

  /**
   * The series for an attribute object (any key order). Walks a tree keyed by the property names and values
   * as they are: no string is built, so an attribute object made fresh for every call costs a few Map gets.
   */
  series(attributes: Attributes): S {
    let node: Map<unknown, unknown> | undefined = this.attributeTree
    for (const k in attributes) {
      node = node.get(k) as Map<unknown, unknown> | undefined
      if (node === undefined) break
      node = node.get(attributes[k]) as Map<unknown, unknown> | undefined
      if (node === undefined) break
    }
    const found = node?.get(LEAF) as S | undefined
    if (found !== undefined) return found
    const series = this.resolve({ ...attributes })
    if (this.canIndex(series)) {
      let at = this.attributeTree
      for (const k in attributes) {
        let byKey = at.get(k) as Map<unknown, unknown> | undefined
        if (byKey === undefined) {
          byKey = new Map()
          at.set(k, byKey)
        }
        let byValue = byKey.get(attributes[k]) as Map<unknown, unknown> | undefined
        if (byValue === undefined) {
          byValue = new Map()
          byKey.set(attributes[k], byValue)
        }
        at = byValue
      }
      at.set(LEAF, series)
    }
    return series
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
  private readonly packed: Float64Array

  constructor(desc: InstrumentDescription, boundaries: readonly number[], limit: number) {
    super(desc, limit)
    this.boundaries = Object.freeze([...boundaries])
    this.packed = Float64Array.from(boundaries)
  }

  protected create(attributes: Attributes): HistogramSeries {
    return new HistogramSeries(attributes, this.packed)
  }

  /** Records one value (in the instrument's unit) for an attribute set. */
  record(value: number, attributes: Attributes = {}): void {
    this.series(attributes).record(value)
  }

  /** `withFine: false` (export) skips the percentile buckets. */
  snapshot(withFine = true): HistogramSnapshot {
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
          fine: withFine ? toSparse(s.fine) : [],
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
