// Worker-thread entry: runs one Engine with its share of connections/sends and posts per-second snapshots.
import { parentPort, workerData } from 'node:worker_threads'
import { Engine, type EngineConfig } from './engine.ts'
import type { PlainRequest } from './requests.ts'
import { buildSource } from './source.ts'

interface WorkerInput {
  config: EngineConfig
  request: PlainRequest
  scenario: string | undefined
}

const port = parentPort!
const input = workerData as WorkerInput
const controller = new AbortController()

try {
  const source = await buildSource(input.config.origin, input.request, input.scenario)
  const engine = new Engine(input.config, source, (snap) => port.postMessage({ type: 'tick', snap }))
  port.on('message', (msg: { type: string; startAt?: number }) => {
    if (msg.type === 'abort') controller.abort()
    else if (msg.type === 'start') {
      engine.run(msg.startAt ?? 0, controller.signal).then(
        () => {
          port.postMessage({ type: 'done' })
          port.close()
        },
        (error: unknown) =>
          port.postMessage({ type: 'error', message: String((error as Error)?.message ?? error) }),
      )
    }
  })
  port.postMessage({ type: 'ready' })
} catch (error) {
  const e = error as { message?: string; code?: string }
  port.postMessage({ type: 'error', message: String(e?.message ?? error), code: e?.code })
  port.close()
}
