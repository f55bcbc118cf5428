// The order of contenders in each round: a fresh seeded shuffle, so no contender keeps the same
// predecessor (JIT and GC state of one would land on the next), and a run can be replayed.

/** mulberry32 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Fisher-Yates shuffle of a copy of `items`. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j] as T, out[i] as T]
  }
  return out
}

/** `rounds` orders of `names`, each a fresh shuffle from one seeded generator. */
export function roundOrders(names: readonly string[], rounds: number, seed: number): string[][] {
  const random = seededRandom(seed)
  return Array.from({ length: rounds }, () => shuffled(names, random))
}
