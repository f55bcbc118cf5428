// The run's clock: epoch milliseconds with sub-millisecond resolution (performance.timeOrigin + performance.now()),
// the same time base on every thread. timeOrigin is read once per thread: its getter is a call into Node, and the
// clock is read several times per request.
const origin = performance.timeOrigin

export const now = (): number => origin + performance.now()
