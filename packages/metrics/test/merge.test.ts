import { AggregationTemporality, DataPointType } from '@opentelemetry/sdk-metrics'
import { describe, expect, it } from 'vitest'
import { mergeProcesses, type WireMetric } from '../src/otel-data.ts'

const t = (s: number): [number, number] => [s, 0]

function hist(boundaries: number[], counts: number[], attributes = { route: '/a' }): WireMetric {
  return {
    descriptor: { name: 'h', description: '', unit: 's', valueType: 1 },
    dataPointType: DataPointType.HISTOGRAM,
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPoints: [
      {
        startTime: t(10),
        endTime: t(20),
        attributes,
        value: {
          buckets: { boundaries, counts },
          sum: 1,
          count: counts.reduce((a, b) => a + b, 0),
          min: 0.1,
          max: 0.9,
        },
      },
    ],
  }
}

function gauge(value: number): WireMetric {
  return {
    descriptor: { name: 'g', description: '', unit: 'By', valueType: 1 },
    dataPointType: DataPointType.GAUGE,
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPoints: [{ startTime: t(1), endTime: t(2), attributes: {}, value }],
  }
}

function counter(value: number, start: number): WireMetric {
  return {
    descriptor: { name: 'c', description: '', unit: '', valueType: 0 },
    dataPointType: DataPointType.SUM,
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    isMonotonic: true,
    dataPoints: [{ startTime: t(start), endTime: t(start + 5), attributes: { k: 'v' }, value }],
  }
}

describe('mergeProcesses', () => {
  it('adds counters and histograms, keeps gauges apart by worker', () => {
    const scope = mergeProcesses([
      { worker: 'primary', metrics: [counter(1, 5), gauge(100), hist([1], [1, 0])] },
      { worker: '1', metrics: [counter(2, 3), gauge(200), hist([1], [2, 1])] },
    ])
    const byName = Object.fromEntries(scope.metrics.map((m) => [m.descriptor.name, m]))
    const c = byName.c?.dataPoints[0]
    expect(c?.value).toBe(3)
    expect(c?.attributes).toEqual({ k: 'v' })
    expect(c?.startTime).toEqual(t(3)) // earliest start
    expect(byName.g?.dataPoints.map((p) => [p.attributes.worker, p.value])).toEqual([
      ['primary', 100],
      ['1', 200],
    ])
    const h = byName.h?.dataPoints
    expect(h).toHaveLength(1)
    expect(h?.[0]?.value).toMatchObject({ count: 4, sum: 2, buckets: { counts: [3, 1] }, min: 0.1, max: 0.9 })
  })

  it('histograms with different boundaries stay apart instead of adding wrong buckets', () => {
    const scope = mergeProcesses([
      { worker: 'primary', metrics: [hist([1], [1, 0])] },
      { worker: '2', metrics: [hist([1, 2], [1, 0, 0])] },
    ])
    const points = scope.metrics[0]?.dataPoints ?? []
    expect(points).toHaveLength(2)
    expect(points.map((p) => p.attributes.worker)).toEqual([undefined, '2'])
  })
})
