// Runs the pool's `destroy` option: errors are published on hotpath:db:pool:error, never thrown, and
// close() can wait for the destroys still running.
import { poolErrorChannel } from './channels.ts'

export class Disposer<T> {
  private readonly pool: string
  private readonly destroy: ((resource: T) => void | Promise<void>) | undefined
  private readonly running = new Set<Promise<void>>()

  constructor(pool: string, destroy: ((resource: T) => void | Promise<void>) | undefined) {
    this.pool = pool
    this.destroy = destroy
  }

  /** Destroys a resource; settled() waits for it. */
  dispose(resource: T): void {
    const destroy = this.destroy
    if (destroy === undefined) return
    let p: Promise<void>
    try {
      p = Promise.resolve(destroy(resource))
    } catch (e) {
      p = Promise.reject(e)
    }
    const tracked: Promise<void> = p.then(
      () => {
        this.running.delete(tracked)
      },
      (e: unknown) => {
        this.running.delete(tracked)
        this.publish(e)
      },
    )
    this.running.add(tracked)
  }

  /** Destroys a resource the pool never counted (a create that settled after its createTimeout). */
  discard(resource: T): void {
    const destroy = this.destroy
    if (destroy === undefined) return
    try {
      Promise.resolve(destroy(resource)).catch((e: unknown) => this.publish(e))
    } catch (e) {
      this.publish(e)
    }
  }

  /** Resolves when every destroy started by dispose() has settled. */
  async settled(): Promise<void> {
    await Promise.all([...this.running])
  }

  private publish(error: unknown): void {
    if (poolErrorChannel.hasSubscribers) poolErrorChannel.publish({ pool: this.pool, error })
  }
}
