// Latency histograms: HdrHistogram (hdr-histogram-js), microsecond resolution, 3 significant digits, up to 1 h.
// Constant memory whatever the run length; histograms of several workers merge exactly with add().
import * as hdr from 'hdr-histogram-js'

export type Histogram = hdr.Histogram

/** Highest trackable latency in microseconds (1 hour). */
export const HIGHEST_US = 3_600_000_000

export function createHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    autoResize: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
  })
}

/** Records a latency given in milliseconds (fractional). */
export function recordMs(h: Histogram, ms: number): void {
  let us = Math.round(ms * 1000)
  if (us < 1) us = 1
  else if (us > HIGHEST_US) us = HIGHEST_US
  if (us >= FAST_LIMIT_US) {
    h.recordValue(us)
    return
  }
  // hdr-histogram-js's countsArrayIndex with bit arithmetic instead of Math.log2 and two Math.pow (twice per
  // response, a few % of the send path's CPU): the same index for every value below 2^31 µs.
  const j = h as unknown as hdr.JsHistogram
  const magnitude = j.subBucketHalfCountMagnitude + j.unitMagnitude
  const bucket = Math.max(31 - Math.clz32(us) - magnitude, 0)
  const sub = us >>> (bucket + j.unitMagnitude)
  j.incrementCountAtIndex((bucket + 1) * (1 << j.subBucketHalfCountMagnitude) + sub - j.subBucketHalfCount)
  j.updateMinAndMax(us)
  j.incrementTotalCount()
}

/** recordMs's bit arithmetic holds below 2^31 µs (35 min); longer latencies take hdr-histogram-js's own path. */
const FAST_LIMIT_US = 2 ** 31

/**
 * Adds `from`'s counts into `into` (both made by createHistogram), visiting only the buckets between its lowest and
 * highest value: hdr-histogram-js's add() walks all ~23 500 buckets, three times a second in a run (and a hot loop
 * the JIT compiles again and again at low rates).
 */
export function addHistogram(into: Histogram, from: Histogram): void {
  if (from.totalCount === 0) return
  const a = into as unknown as hdr.JsHistogram
  const b = from as unknown as hdr.JsHistogram
  const last = Math.min(b.countsArrayIndex(b.maxValue), b.countsArrayLength - 1)
  let added = 0
  for (let i = b.countsArrayIndex(b.minNonZeroValue); i <= last; i++) {
    const count = b.getCountAtIndex(i)
    if (count === 0) continue
    a.addToCountAtIndex(i, count)
    added += count
  }
  // Bucket 0 may hold zeros (below minNonZeroValue): a histogram of this module never records 0 (recordMs).
  a.setTotalCount(a.totalCount + added)
  a.updateMinAndMax(b.maxValue)
  a.updateMinAndMax(b.minNonZeroValue)
}

/** Compressed base64 form (the standard HdrHistogram encoding), used between worker threads and in JSON. */
export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h)
}

export function decodeHistogram(text: string): Histogram {
  const decoded = hdr.decodeFromCompressedBase64(text, 32, false)
  const h = createHistogram()
  // A decoded histogram may come from another layout (an older file): hdr's own add() maps values.
  if (
    (decoded as unknown as hdr.JsHistogram).countsArrayLength ===
    (h as unknown as hdr.JsHistogram).countsArrayLength
  )
    addHistogram(h, decoded)
  else h.add(decoded)
  return h
}

export interface LatencySummary {
  /** Milliseconds (fractional) throughout. */
  min: number
  mean: number
  stdev: number
  p50: number
  p75: number
  p90: number
  p95: number
  p99: number
  p99_9: number
  max: number
}

const us = (v: number) => v / 1000

/** The summary's percentiles, in the order of one pass over the counts. */
const SUMMARY_PERCENTILES = [50, 75, 90, 95, 99, 99.9] as const

/**
 * Mean, standard deviation and percentiles in one pass over the counts (hdr-histogram-js takes a pass per
 * percentile and three iterator passes for mean and stdDeviation: a few % of a 10 s run's CPU, once per
 * second and at the end). Same figures: percentile p is the highest equivalent value of the first bucket whose
 * cumulative count reaches ceil(p% of the total), mean and deviation from the buckets' median values.
 */
export function summarize(h: Histogram): LatencySummary {
  const total = h.totalCount
  if (total === 0) {
    return { min: 0, mean: 0, stdev: 0, p50: 0, p75: 0, p90: 0, p95: 0, p99: 0, p99_9: 0, max: 0 }
  }
  const j = h as unknown as hdr.JsHistogram
  const wanted = SUMMARY_PERCENTILES.map((p) => {
    const fp = (p / 100) * total
    return Math.max(Math.ceil(fp - 2 ** (Math.floor(Math.log2(fp)) - 52)), 1)
  })
  const found: number[] = []
  let seen = 0
  let sum = 0
  let sumSquares = 0
  for (let i = j.countsArrayIndex(h.minNonZeroValue), n = j.countsArrayLength; i < n && seen < total; i++) {
    const count = j.getCountAtIndex(i)
    if (count === 0) continue
    const value = j.valueFromIndex(i)
    const median = j.medianEquivalentValue(value)
    seen += count
    sum += median * count
    sumSquares += median * median * count
    while (found.length < wanted.length && seen >= wanted[found.length]!)
      found.push(j.highestEquivalentValue(value))
  }
  const mean = sum / total
  const at = (k: number) => us(found[k] ?? h.maxValue)
  return {
    min: us(h.minNonZeroValue),
    mean: round3(us(mean)),
    stdev: round3(us(Math.sqrt(Math.max(0, sumSquares / total - mean * mean)))),
    p50: at(0),
    p75: at(1),
    p90: at(2),
    p95: at(3),
    p99: at(4),
    p99_9: at(5),
    max: us(h.maxValue),
  }
}

/** Percentile curve for the HTML report: [percentile, latency ms] pairs on a log-spaced percentile axis. */
export function percentileCurve(h: Histogram): Array<[number, number]> {
  if (h.totalCount === 0) return []
  const points: Array<[number, number]> = []
  const ps = [0, 10, 25, 50, 75, 90, 95, 97.5, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100]
  for (const p of ps) points.push([p, us(h.getValueAtPercentile(p))])
  return points
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000
}
