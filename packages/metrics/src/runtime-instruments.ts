// Observable gauges over the runtime sampler (semantic-convention names for Node.js, V8 and the process).
import {
  type BatchObservableCallback,
  type Meter,
  type Observable,
  type ObservableCallback,
  ValueType,
} from '@opentelemetry/api'
import { getHeapSpaceStatistics } from 'node:v8'
import type { RuntimeFigures, RuntimeSampler } from './runtime.ts'

/** Registers the runtime instruments; returns the function that removes their callbacks. */
export function registerRuntimeInstruments(meter: Meter, sampler: RuntimeSampler): () => void {
  const added: Array<[Observable, ObservableCallback]> = []
  const add = (instrument: Observable, callback: ObservableCallback): void => {
    instrument.addCallback(callback)
    added.push([instrument, callback])
  }
  const gauge = (name: string, description: string, unit: string, read: (f: RuntimeFigures) => number) => {
    add(meter.createObservableGauge(name, { description, unit }), (result) => {
      result.observe(read(sampler.figures()))
    })
  }
  gauge(
    'nodejs.eventloop.delay.p50',
    'Event loop delay, 50th percentile',
    's',
    (f) => f.eventLoopDelayMs.p50 / 1000,
  )
  gauge(
    'nodejs.eventloop.delay.p99',
    'Event loop delay, 99th percentile',
    's',
    (f) => f.eventLoopDelayMs.p99 / 1000,
  )
  gauge('nodejs.eventloop.delay.max', 'Event loop delay, maximum', 's', (f) => f.eventLoopDelayMs.max / 1000)
  gauge('nodejs.eventloop.delay.mean', 'Event loop delay, mean', 's', (f) => f.eventLoopDelayMs.mean / 1000)
  gauge('nodejs.eventloop.utilization', 'Event loop utilization', '1', (f) => f.eventLoopUtilization)
  gauge('process.cpu.utilization', 'CPU time / (wall time x CPUs)', '1', (f) => f.cpuUtilizationAllCores)
  gauge('process.memory.usage', 'Resident set size', 'By', (f) => f.rssBytes)
  // v8js.memory.heap.*: one point per heap space (v8js.heap.space.name is Required)
  const used = meter.createObservableGauge('v8js.memory.heap.used', {
    description: 'Heap memory used, by V8 heap space',
    unit: 'By',
  })
  const limit = meter.createObservableGauge('v8js.memory.heap.limit', {
    description: 'Heap memory pre-allocated (space size), by V8 heap space',
    unit: 'By',
  })
  const heap: BatchObservableCallback = (result) => {
    for (const space of getHeapSpaceStatistics()) {
      const attributes = { 'v8js.heap.space.name': space.space_name }
      result.observe(used, space.space_used_size, attributes)
      result.observe(limit, space.space_size, attributes)
    }
  }
  meter.addBatchObservableCallback(heap, [used, limit])
  const startSeconds = (performance.timeOrigin + 0) / 1000
  add(
    meter.createObservableGauge('process.start_time', {
      description: 'Start time of the process since the Unix epoch',
      unit: 's',
    }),
    (result) => result.observe(startSeconds),
  )
  add(
    meter.createObservableCounter('process.cpu.time', {
      description: 'CPU time of the process by mode',
      unit: 's',
      valueType: ValueType.DOUBLE,
    }),
    (result) => {
      const cpu = process.cpuUsage()
      result.observe(cpu.user / 1e6, { 'cpu.mode': 'user' })
      result.observe(cpu.system / 1e6, { 'cpu.mode': 'system' })
    },
  )
  return () => {
    for (const [instrument, callback] of added) instrument.removeCallback(callback)
    meter.removeBatchObservableCallback(heap, [used, limit])
  }
}
