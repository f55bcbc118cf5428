// Small shared helpers of the tests (not a test file).
import diagnostics_channel from 'node:diagnostics_channel'

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Collects messages of a diagnostics channel until the returned stop() is called. */
export function capture(name: string): { messages: Record<string, unknown>[]; stop(): void } {
  const messages: Record<string, unknown>[] = []
  const fn = (m: unknown): void => {
    messages.push(m as Record<string, unknown>)
  }
  diagnostics_channel.subscribe(name, fn)
  return { messages, stop: () => diagnostics_channel.unsubscribe(name, fn) }
}

/** Polls `check` until it returns true or `ms` pass. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  ms = 3000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check()) return
    await sleep(10)
  }
  throw new Error(`timed out waiting for ${what}`)
}
