// Builds the RequestSource of a run from its options (plain request or scenario).
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { LoadInvalidScenarioError } from './errors.ts'
import { type PlainRequest, plainSource, type RequestSource, scenarioSource } from './requests.ts'
import { loadScenarioFile, type Scenario, validateScenario } from './scenario.ts'

export async function buildSource(
  origin: string,
  request: PlainRequest,
  scenario: string | Scenario | undefined,
): Promise<RequestSource> {
  if (scenario === undefined) return plainSource(origin, request)
  if (typeof scenario === 'string') {
    const loaded = await loadScenarioFile(scenario)
    return scenarioSource(origin, request, loaded.scenario, loaded.csvText, scenario)
  }
  const valid = validateScenario(scenario)
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
