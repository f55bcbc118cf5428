// client.batch(): run many requests under a concurrency limit; settled results in input order.
import { optionChecks } from '@hotpath/core'
import type { HttpError } from './errors.ts'
import type { RequestInput } from './prepare.ts'
import type { HttpResponse } from './response.ts'

export interface BatchOptions {
  /** Requests in flight at once. Default 10. */
  concurrency?: number
  /** When > 0, requests run in batches of `concurrency` with this pause (ms) between batches. Default 0. */
  delayBetweenBatches?: number
  /** Called after each request settles. */
  onProgress?: (progress: { done: number; total: number; failed: number }) => void
}

export type BatchResult =
  | { status: 'fulfilled'; value: HttpResponse }
  | { status: 'rejected'; reason: HttpError }

const check = optionChecks('HOTPATH_HTTP_INVALID_OPTION')
const BATCH_OPTIONS: readonly string[] = ['concurrency', 'delayBetweenBatches', 'onProgress']

export async function runBatch(
  send: (input: RequestInput) => Promise<HttpResponse>,
  requests: RequestInput[],
  options?: BatchOptions,
): Promise<BatchResult[]> {
  if (!Array.isArray(requests)) check.fail('requests', requests, 'an array of URLs or request options')
  const o = (check.object('options', options, BATCH_OPTIONS) ?? {}) as BatchOptions
  const concurrency = check.integer('concurrency', o.concurrency, 10, 1)
  const delay = check.integer('delayBetweenBatches', o.delayBetweenBatches, 0, 0)
  const onProgress = check.func<NonNullable<BatchOptions['onProgress']>>('onProgress', o.onProgress)

  const total = requests.length
  const results = new Array<BatchResult>(total)
  let done = 0
  let failed = 0
  const runOne = async (i: number): Promise<void> => {
    try {
      results[i] = { status: 'fulfilled', value: await send(requests[i] as RequestInput) }
    } catch (error) {
      failed++
      results[i] = { status: 'rejected', reason: error as HttpError }
    }
    done++
    if (onProgress !== undefined) {
      try {
        onProgress({ done, total, failed })
      } catch {
        // a throwing progress callback must not sink the batch
      }
    }
  }

  if (delay > 0) {
    for (let startAt = 0; startAt < total; startAt += concurrency) {
      if (startAt > 0) await new Promise((r) => setTimeout(r, delay)) // ref'd: the caller is waiting on it
      const chunk: Promise<void>[] = []
      for (let i = startAt; i < Math.min(total, startAt + concurrency); i++) chunk.push(runOne(i))
      await Promise.all(chunk)
    }
    return results
  }
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < total) await runOne(next++)
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker))
  return results
}
