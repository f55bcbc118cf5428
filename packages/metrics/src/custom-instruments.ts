// User-defined pre-aggregated instruments (`metrics.histogram()` / `metrics.counter()`), validated.
import type { HistogramDefinition, InstrumentDefinition } from './api.ts'
import { HTTP_DURATION_BUCKETS } from './buckets.ts'
import { check } from './errors.ts'
import type { CounterFamily, HistogramFamily } from './instruments.ts'
import type { Registry } from './registry.ts'

const NAME_RE = /^[A-Za-z][A-Za-z0-9_.\-/]{0,254}$/

/** `metrics.histogram(name, definition)`: a pre-aggregated histogram, validated. */
export function customHistogram(
  registry: Registry,
  name: string,
  definition: HistogramDefinition = {},
): HistogramFamily {
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    check.fail('histogram(name)', name, 'an instrument name ([A-Za-z][A-Za-z0-9_.-/]{0,254})')
  }
  const boundaries = definition.boundaries ?? HTTP_DURATION_BUCKETS
  if (
    !Array.isArray(boundaries) ||
    boundaries.some(
      (b, i) => typeof b !== 'number' || !Number.isFinite(b) || (i > 0 && b <= (boundaries[i - 1] as number)),
    )
  ) {
    check.fail('histogram.boundaries', boundaries, 'an ascending array of finite numbers')
  }
  try {
    return registry.histogram(
      { name, description: definition.description ?? '', unit: definition.unit ?? '' },
      boundaries,
    )
  } catch (error) {
    check.fail('histogram(name)', name, `a name not already used by a counter (${String(error)})`)
  }
}

/** `metrics.counter(name, definition)`: a pre-aggregated monotonic counter, validated. */
export function customCounter(
  registry: Registry,
  name: string,
  definition: InstrumentDefinition = {},
): CounterFamily {
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    check.fail('counter(name)', name, 'an instrument name ([A-Za-z][A-Za-z0-9_.-/]{0,254})')
  }
  try {
    return registry.counter({
      name,
      description: definition.description ?? '',
      unit: definition.unit ?? '',
    })
  } catch (error) {
    check.fail('counter(name)', name, `a name not already used by a histogram (${String(error)})`)
  }
}
