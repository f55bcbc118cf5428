// The pool's idle resources: a LIFO stack (the most recently released is reused first, so the others
// age out), with lifetime retirement on borrow and idle eviction oldest first.
import type { Slot } from './pool-lease.ts'

export type RetireReason = 'lifetime' | 'idle'

export class IdleStack<T> {
  private readonly slots: Slot<T>[] = []
  /** Called for each slot taken off the stack because it expired or idled out. */
  private readonly retire: (slot: Slot<T>, reason: RetireReason) => void

  constructor(retire: (slot: Slot<T>, reason: RetireReason) => void) {
    this.retire = retire
  }

  get length(): number {
    return this.slots.length
  }

  push(slot: Slot<T>): void {
    this.slots.push(slot)
  }

  /** Removes the top slot (the one top() returned). */
  pop(): void {
    this.slots.pop()
  }

  /** The slot on top (not popped), after retiring the expired ones above it; undefined when none. */
  top(t: number): Slot<T> | undefined {
    const slots = this.slots
    while (slots.length > 0) {
      const top = slots[slots.length - 1]!
      if (t < top.expiresAt) return top
      slots.pop()
      this.retire(top, 'lifetime')
    }
    return undefined
  }

  /** Takes a slot out wherever it is (an idle resource that failed); false when it was not idle. */
  remove(slot: Slot<T>): boolean {
    const i = this.slots.indexOf(slot)
    if (i === -1) return false
    this.slots.splice(i, 1)
    return true
  }

  /** Empties the stack (pool close). */
  takeAll(): Slot<T>[] {
    return this.slots.splice(0)
  }

  /**
   * Retires, oldest first (bottom of the stack), slots past their lifetime and slots idle for
   * `idleTimeout` ms (0: never) while the pool (`used` + idle) stays above `min`.
   */
  evict(t: number, idleTimeout: number, min: number, used: number): void {
    const slots = this.slots
    for (let i = 0; i < slots.length; ) {
      const slot = slots[i]!
      const size = slots.length + used
      if (t >= slot.expiresAt || (idleTimeout > 0 && t - slot.lastReleased >= idleTimeout && size > min)) {
        slots.splice(i, 1)
        this.retire(slot, t >= slot.expiresAt ? 'lifetime' : 'idle')
      } else i++
    }
  }
}
