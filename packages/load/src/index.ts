// Public API of @hotpath/load.
export {
  HotpathError,
  LoadAbortedError,
  LoadInvalidOptionError,
  LoadInvalidResultError,
  LoadInvalidScenarioError,
  LoadInvalidThresholdError,
  LoadWorkerError,
} from './errors.ts'
export { compareResults, type CompareRow, formatComparison } from './compare.ts'
export { decodeHistogram } from './histogram.ts'
export { renderHtmlReport } from './html.ts'
export type { LoadOptions } from './options.ts'
export { formatResult } from './report-text.ts'
export {
  type LoadProgress,
  type LoadResult,
  RESULT_SCHEMA_VERSION,
  type ThresholdResult,
  type TimeseriesPoint,
} from './result.ts'
export { runLoad } from './run.ts'
export type { Scenario, ScenarioExpect, ScenarioRequest, ScenarioSequence } from './scenario.ts'
export { createOpenSchedule, type OpenSchedule } from './schedule.ts'
export { parseStages, type Stage } from './stages.ts'
export { parseThreshold, type Threshold } from './thresholds.ts'
