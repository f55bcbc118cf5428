// Builds the RequestSource of a run from its options (plain request, declarative or programmable scenario).
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { LoadInvalidScenarioError } from './errors.ts'
import {
  functionSource,
  type PlainRequest,
  plainSource,
  type RequestSource,
  scenarioSource,
} from './requests.ts'
import { loadScenarioFile, readBodyFiles, type Scenario, validateScenario } from './scenario.ts'

export async function buildSource(
  origin: string,
  request: PlainRequest,
  scenario: string | Scenario | undefined,
  worker = 0,
): Promise<RequestSource> {
  if (scenario === undefined) return plainSource(origin, request)
  if (typeof scenario === 'string') {
    const loaded = await loadScenarioFile(scenario)
    if (typeof loaded.scenario === 'function') return functionSource(origin, request, loaded.scenario, worker)
    return scenarioSource(origin, request, loaded.scenario, loaded.csvText, scenario)
  }
  const checked = validateScenario(scenario)
  if (typeof checked === 'function') return functionSource(origin, request, checked, worker)
  // An object's relative paths (csv, bodyFile) are relative to the working directory.
  const valid = readBodyFiles(checked, process.cwd(), '<scenario>')
  let csvText: string | undefined
  if (valid.csv !== undefined) {
    try {
      csvText = readFileSync(resolve(valid.csv), 'utf8')
    } catch (error) {
      throw new LoadInvalidScenarioError(
        '<scenario>',
        `cannot read csv "${valid.csv}": ${(error as Error).message}`,
        error,
      )
    }
  }
  return scenarioSource(origin, request, valid, csvText)
}
