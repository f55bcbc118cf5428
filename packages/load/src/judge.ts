// What a response means for its step: its checks (status, body), then its captures into the iteration's
// variables. Returns the error code it counts as, or null when it is ok.
import type { Step } from './requests.ts'
import type { Slot } from './slot.ts'

export function judge(step: Step, slot: Slot): string | null {
  const status = slot.status
  const check = step.check
  if (check.status !== null ? !check.status.includes(status) : status >= 400) {
    return check.status !== null ? 'CHECK_STATUS' : `HTTP_${status}`
  }
  if (check.bodyContains !== null && !slot.body().includes(check.bodyContains)) return 'CHECK_BODY'
  if (step.captures !== null) {
    const vars = (slot.vars ??= {})
    for (const c of step.captures) {
      const v = c.extract(slot)
      if (v === undefined) return 'CAPTURE'
      vars[c.name] = v
    }
  }
  return null
}
