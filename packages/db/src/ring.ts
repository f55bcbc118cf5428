// A growable FIFO ring buffer (power-of-two capacity). Used for the pool's waiters.

export class Ring<T> {
  private buf: (T | undefined)[]
  private head = 0
  private tail = 0
  private mask: number
  length = 0

  constructor(capacity = 16) {
    let cap = 1
    while (cap < capacity) cap <<= 1
    this.buf = new Array<T | undefined>(cap)
    this.mask = cap - 1
  }

  push(item: T): void {
    if (this.length === this.buf.length) this.grow()
    this.buf[this.tail] = item
    this.tail = (this.tail + 1) & this.mask
    this.length++
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined
    const item = this.buf[this.head]
    this.buf[this.head] = undefined
    this.head = (this.head + 1) & this.mask
    this.length--
    return item
  }

  /** Keeps, in order, only the items for which `keep` returns true. */
  retain(keep: (item: T) => boolean): void {
    const n = this.length
    let write = this.head
    let read = this.head
    let kept = 0
    for (let i = 0; i < n; i++) {
      const item = this.buf[read] as T
      this.buf[read] = undefined
      if (keep(item)) {
        this.buf[write] = item
        write = (write + 1) & this.mask
        kept++
      }
      read = (read + 1) & this.mask
    }
    this.tail = write
    this.length = kept
  }

  private grow(): void {
    const old = this.buf
    const cap = old.length * 2
    const next = new Array<T | undefined>(cap)
    for (let i = 0; i < this.length; i++) next[i] = old[(this.head + i) & this.mask]
    this.buf = next
    this.head = 0
    this.tail = this.length
    this.mask = cap - 1
  }
}
