// One AsyncLocalStorage bound to one diagnostics channel by several subscribers. `bindStore` keeps a single
// transform per store: a second metrics instance binding the same store would replace the first's, and
// `unbindStore` from either would remove it for both. Here each (channel, store) is bound once; its
// transform passes the store's value through every subscriber's transform in the order they came, and the
// binding is removed when the last subscriber leaves.
import type { AsyncLocalStorage } from 'node:async_hooks'
import type { Channel } from 'node:diagnostics_channel'

/** Turns the store's value (the caller's, or what earlier subscribers made of it) into the one to run with. */
export type StoreTransform<T, M> = (message: M, current: T | undefined) => T | undefined

interface Binding {
  readonly transforms: Array<StoreTransform<unknown, unknown>>
}

const bindings = new Map<string | symbol, Map<AsyncLocalStorage<unknown>, Binding>>()

/** Adds `transform` to the binding of `store` on `channel`; the function returned takes it away again. */
export function bindShared<T, M>(
  channel: Channel,
  store: AsyncLocalStorage<T>,
  transform: StoreTransform<T, M>,
): () => void {
  const als = store as AsyncLocalStorage<unknown>
  let byStore = bindings.get(channel.name)
  if (byStore === undefined) bindings.set(channel.name, (byStore = new Map()))
  let binding = byStore.get(als)
  if (binding === undefined) {
    const created: Binding = { transforms: [] }
    binding = created
    byStore.set(als, created)
    channel.bindStore(als, (message: unknown) => {
      let value = als.getStore()
      for (const t of created.transforms) {
        try {
          value = t(message, value)
        } catch {
          // a transform that throws would be an uncaught exception in the publisher: its part is skipped
        }
      }
      return value
    })
  }
  const own = transform as StoreTransform<unknown, unknown>
  binding.transforms.push(own)
  let bound = true
  return () => {
    if (!bound) return
    bound = false
    const list = (binding as Binding).transforms
    list.splice(list.indexOf(own), 1)
    if (list.length > 0) return
    channel.unbindStore(als)
    byStore.delete(als)
    if (byStore.size === 0) bindings.delete(channel.name)
  }
}
