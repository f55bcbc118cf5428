// Callers waiting for a pool condition rather than for a resource: ready() (until `min` resources
// exist, with a deadline) and drain() (until no lease is held and nobody waits).

interface ReadyWaiter {
  resolve: () => void
  reject: (error: unknown) => void
  timer: NodeJS.Timeout
}

export class ReadyWaiters {
  private entries: ReadyWaiter[] = []

  get length(): number {
    return this.entries.length
  }

  /** Waits until resolveAll(); after `timeout` ms rejects with `onTimeout()` (the timer keeps the process alive). */
  wait(timeout: number, onTimeout: () => unknown): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const entry: ReadyWaiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.entries = this.entries.filter((r) => r !== entry)
          reject(onTimeout())
        }, timeout),
      }
      this.entries.push(entry)
    })
  }

  resolveAll(): void {
    for (const r of this.entries.splice(0)) {
      clearTimeout(r.timer)
      r.resolve()
    }
  }

  rejectAll(error: unknown): void {
    for (const r of this.entries.splice(0)) {
      clearTimeout(r.timer)
      r.reject(error)
    }
  }
}

export class Drainers {
  private waiting: (() => void)[] | null = null

  /** True while someone waits for the pool to drain (the pool then checks after each release). */
  get active(): boolean {
    return this.waiting !== null
  }

  wait(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.waiting === null) this.waiting = []
      this.waiting.push(resolve)
    })
  }

  resolveAll(): void {
    const waiting = this.waiting
    if (waiting === null) return
    this.waiting = null
    for (const d of waiting) d()
  }
}

/** Resolves when `p` settles or after `ms`, whichever is first (the timer is cleared either way). */
export async function settleWithin(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    p.then(
      () => {},
      () => {},
    ),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms)
    }),
  ])
  clearTimeout(timer)
}
