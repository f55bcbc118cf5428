// Public API of @hotpath/load.
export { HotpathError, InvalidOptionError, isHotpathError } from '@hotpath/core'
export type {
  LoadChannelPayloads,
  LoadEndEvent,
  LoadProgressEvent,
  LoadStartEvent,
} from './channels.ts'
export {
  compareMismatches,
  compareResults,
  type CompareRow,
  formatComparison,
  readResultFile,
} from './compare.ts'
export { errorCodes, type LoadErrorCode } from './error-codes.ts'
export {
  LoadAbortedError,
  LoadError,
  LoadInvalidResultError,
  LoadInvalidScenarioError,
  LoadInvalidThresholdError,
  LoadMergeError,
  LoadUsageError,
  LoadWorkerError,
} from './errors.ts'
export { decodeHistogram } from './histogram.ts'
export { renderHtmlReport } from './html.ts'
export { mergeResults } from './merge.ts'
export type { LoadOptions } from './options.ts'
export { formatResult } from './report-text.ts'
export {
  type LoadProgress,
  type LoadResult,
  type NameResult,
  RESULT_SCHEMA_VERSION,
  type ThresholdResult,
  type TimeseriesPoint,
} from './result.ts'
export { runLoad } from './run.ts'
export type { Segment } from './segment.ts'
export type { CaptureSpec, Vars } from './capture.ts'
export type {
  IterationContext,
  Scenario,
  ScenarioExpect,
  ScenarioFunction,
  ScenarioObject,
  ScenarioRequest,
  ScenarioSequence,
  ScenarioStep,
} from './scenario.ts'
export { createOpenSchedule, type OpenSchedule } from './schedule.ts'
export { parseStages, type Stage } from './stages.ts'
export { parseThreshold, type Threshold } from './thresholds.ts'
