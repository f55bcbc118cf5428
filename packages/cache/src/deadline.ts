// One bounded wait: the first connect, ready(), close()'s flush.
import { L2NotReadyError } from './errors.ts'

/** `p`, or a rejection after `ms` (an unref'd timer: never keeps the process alive). */
export function deadline<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new L2NotReadyError()), ms)
    timer.unref()
    p.then(
      (v) => {
        clearTimeout(timer)
        resolve(v)
      },
      (e) => {
        clearTimeout(timer)
        reject(e)
      },
    )
  })
}
