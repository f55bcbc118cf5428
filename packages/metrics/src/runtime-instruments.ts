// Observable gauges over the runtime sampler (semantic-convention names for Node.js, V8 and the process).
import type { Meter } from '@opentelemetry/api'
import type { RuntimeFigures, RuntimeSampler } from './runtime.ts'

export function registerRuntimeInstruments(meter: Meter, sampler: RuntimeSampler): void {
  const gauge = (name: string, description: string, unit: string, read: (f: RuntimeFigures) => number) => {
    meter.createObservableGauge(name, { description, unit }).addCallback((result) => {
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
  gauge('v8js.memory.heap.used', 'V8 heap used', 'By', (f) => f.heapUsedBytes)
  gauge('v8js.memory.heap.limit', 'V8 heap size limit', 'By', (f) => f.heapLimitBytes)
}
