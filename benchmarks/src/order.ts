// The order of contenders in each round: a fresh seeded shuffle, so no contender keeps the same
// predecessor (JIT and GC state of one would land on the next), and a run can be replayed.
import { seededRandom } from '@hotpath/test-helpers'

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
