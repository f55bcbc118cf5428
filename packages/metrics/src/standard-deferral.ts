// Whether a standard family is left to the user's OTel instrumentation right now, for code that asks per
// operation (spans): detection (a scan of the require cache for pg) runs at most once a second per family.
import { deferredNames, type ResolvedStandard, STANDARD_NAMES, type StandardFamily } from './standard.ts'

export type DeferralCheck = (family: StandardFamily) => boolean

const RECHECK_MS = 1_000

export function deferralCheck(standard: ResolvedStandard): DeferralCheck {
  const known = new Map<StandardFamily, { deferred: boolean; at: number }>()
  return (family) => {
    const now = performance.now()
    const k = known.get(family)
    if (k !== undefined && now - k.at < RECHECK_MS) return k.deferred
    const deferred = deferredNames(standard, [family]).has(STANDARD_NAMES[family])
    known.set(family, { deferred, at: now })
    return deferred
  }
}
