// Worker-thread entry: runs one Engine with its share of connections/sends and posts per-second snapshots.
import { parentPort, workerData } from 'node:worker_threads'
import { Engine, type EngineConfig } from './engine.ts'
import type { PlainRequest } from './requests.ts'
import type { WorkerMessage } from './run.ts'
import { buildSource } from './source.ts'
import { now } from './clock.ts'
import { connectionFactory } from './connection.ts'

interface WorkerInput {
  config: EngineConfig
  request: PlainRequest
  scenario: string | undefined
}

const port = parentPort!
const input = workerData as WorkerInput
const controller = new AbortController()

try {
  const source = await buildSource(
    input.config.origin,
    input.request,
    input.scenario,
    input.config.workerIndex,
  )
  const engine = new Engine(
    input.config,
    source,
    (snap) => port.postMessage({ type: 'tick', snap }),
    await connectionFactory(input.config.transport),
  )
  port.on('message', (msg: { type: string; startAt?: number }) => {
    if (msg.type === 'abort') controller.abort()
    else if (msg.type === 'start') {
      // Connections open (and the warm-up runs) before this worker's measured schedule starts.
      const startAt = msg.startAt ?? 0
      engine
        .prepare(controller.signal)
        .then(() => engine.run(Math.max(startAt, now()), controller.signal))
        .then(
          () => {
            port.postMessage({ type: 'done' })
            port.close()
          },
          (error: unknown) => port.postMessage(failure(error)),
        )
    }
  })
  port.postMessage({ type: 'ready' })
} catch (error) {
  port.postMessage(failure(error))
  port.close()
}

/** A failure as a plain message (errors do not cross threads with their class): code and details kept. */
function failure(error: unknown): WorkerMessage {
  const e = error as { message?: unknown; code?: unknown; details?: unknown }
  return {
    type: 'error',
    message: String(e?.message ?? error),
    code: typeof e?.code === 'string' ? e.code : undefined,
    details: e?.details !== null && typeof e?.details === 'object' ? { ...(e.details as object) } : undefined,
  }
}
