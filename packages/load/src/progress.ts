// Live progress line for a TTY (stderr): elapsed/remaining bar, current req/s, p99, errors.
import type { LoadProgress } from './result.ts'
import { formatCount, formatMs } from './units.ts'

export function progressLine(p: LoadProgress, width = 24): string {
  const frac = p.durationMs > 0 ? Math.min(1, p.elapsedMs / p.durationMs) : 0
  const filled = Math.round(frac * width)
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`
  const remaining = Math.max(0, p.durationMs - p.elapsedMs)
  return `${bar} ${formatMs(p.elapsedMs)} elapsed, ${formatMs(remaining)} left | ${formatCount(p.rps)} req/s | p99 ${formatMs(p.p99)} | errors ${formatCount(p.errors)}`
}

export interface ProgressWriter {
  update(p: LoadProgress): void
  done(): void
}

/** Writes progress to a TTY stream, or nothing when the stream is not a TTY or CI is set. */
export function createProgressWriter(
  stream: Pick<NodeJS.WriteStream, 'write'> & { isTTY?: boolean },
  enabled: boolean,
  env: NodeJS.ProcessEnv = process.env,
): ProgressWriter {
  const active = enabled && stream.isTTY === true && !env.CI
  let shown = false
  return {
    update(p) {
      if (!active) return
      stream.write(`\r\x1b[2K${progressLine(p, 24)}`)
      shown = true
    },
    done() {
      if (active && shown) stream.write('\r\x1b[2K')
    },
  }
}
