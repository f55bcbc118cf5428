// `hotpath-load compare` (a before/after table and its regression gates) and `hotpath-load merge` (one result of
// several generators' parts).
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { type CliIo, parsing } from './cli-io.ts'
import { compareMismatches, compareResults, formatComparison, readResultFile } from './compare.ts'
import { LoadUsageError } from './errors.ts'
import { renderHtmlReport } from './html.ts'
import { mergeResults } from './merge.ts'
import { formatResult } from './report-text.ts'
import { checkThresholdNames, evaluateThresholds, parseThreshold } from './thresholds.ts'

/** `merge a.json b.json ...`: one result of several parts; --threshold gates the merged figures. */
export async function mergeCommand(
  argv: string[],
  out: CliIo['stdout'],
  err: CliIo['stderr'],
): Promise<number> {
  const { values, positionals } = parsing(() =>
    parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'string' },
        html: { type: 'string' },
        threshold: { type: 'string', multiple: true },
      },
    }),
  )
  if (positionals.length < 1)
    throw new LoadUsageError('merge needs result files: merge <a.json> <b.json> ...')
  const thresholds = (values.threshold ?? []).map(parseThreshold)
  const results = await Promise.all(positionals.map((f) => readResultFile(f)))
  const result = mergeResults(results)
  checkThresholdNames(thresholds, Object.keys(result.names).length > 0 ? Object.keys(result.names) : [])
  result.thresholds = evaluateThresholds(thresholds, result)
  out.write(`${formatResult(result)}\n`)
  if (values.json) await writeFile(values.json, `${JSON.stringify(result, null, 2)}\n`)
  if (values.html) await writeFile(values.html, renderHtmlReport(result))
  const failed = result.thresholds.filter((t) => !t.pass)
  if (failed.length > 0) {
    err.write(`\n${failed.length} threshold(s) failed: ${failed.map((t) => t.expression).join(', ')}\n`)
  }
  return failed.length > 0 ? 1 : 0
}

export async function compareCommand(argv: string[], out: CliIo['stdout']): Promise<number> {
  const { values, positionals } = parsing(() =>
    parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        markdown: { type: 'boolean' },
        'fail-if': { type: 'string', multiple: true },
        'allow-mismatch': { type: 'boolean' },
      },
    }),
  )
  if (positionals.length !== 2)
    throw new LoadUsageError('compare needs two files: compare <before.json> <after.json>')
  const gates = (values['fail-if'] ?? []).map(parseGate)
  const [a, b] = positionals as [string, string]
  const before = await readResultFile(a)
  const after = await readResultFile(b)
  const rows = compareResults(before, after)
  for (const g of gates) {
    if (!rows.some((r) => r.metric === g.metric)) {
      throw new LoadUsageError(
        `invalid --fail-if "${g.expression}": no row "${g.metric}" in this comparison (rows: ${rows.map((r) => r.metric).join(', ')})`,
      )
    }
  }
  const mismatches = compareMismatches(before, after)
  const markdown = values.markdown === true
  out.write(`${formatComparison(rows, { markdown })}\n`)
  if (mismatches.length > 0) {
    const note = `the runs were asked to do different things (${mismatches.join('; ')}): the changes may come from that alone`
    out.write(markdown ? `\n> **Warning**: ${note}\n` : `\nWarning: ${note}\n`)
  }
  if (gates.length === 0) return 0
  let failed = 0
  out.write('\nRegression gates\n')
  // A gate between runs of different tests proves nothing: it fails unless --allow-mismatch.
  if (mismatches.length > 0 && values['allow-mismatch'] !== true) {
    out.write(
      `  FAIL  the runs are not comparable (${mismatches.join('; ')}); --allow-mismatch to gate anyway\n`,
    )
    failed++
  }
  for (const g of gates) {
    const row = rows.find((r) => r.metric === g.metric)!
    const change = (row.ratio - 1) * 100
    // A change that cannot be computed (the baseline is 0) fails: a gate never passes blind.
    const hit = !Number.isFinite(change) || (g.operator === '>' ? change > g.limit : change < g.limit)
    if (hit) failed++
    const shown = Number.isFinite(change)
      ? `change ${change >= 0 ? '+' : ''}${change.toFixed(1)}%`
      : 'no baseline'
    out.write(`  ${hit ? 'FAIL' : 'PASS'}  ${g.expression}  (${shown})\n`)
  }
  return failed > 0 ? 1 : 0
}

/** Metrics of the compare table a --fail-if gate can name. */
const gateMetrics = [
  'rps',
  'p50',
  'p90',
  'p99',
  'p99.9',
  'max',
  'mean',
  'requests',
  'errors',
  'error rate',
  'bytes/s',
  'late',
  'dropped',
  'generator p99',
]
/** Per-name rows (`p99{name:login}`), for the names both runs have. */
const perNameGate = /^(rps|p50|p99|errors)\{name:[^}]+\}$/

/** `p99>+10%`: fail when after/before - 1 is above +10 %; `rps<-5%`: fail when it is below -5 %. */
function parseGate(text: string): { expression: string; metric: string; operator: '<' | '>'; limit: number } {
  const m = /^\s*([a-z][a-z0-9. /]*?(?:\{name:[^}]+\})?)\s*([<>])\s*([+-]?\d+(?:\.\d+)?)%\s*$/.exec(text)
  if (!m || !(gateMetrics.includes(m[1]!) || perNameGate.test(m[1]!))) {
    throw new LoadUsageError(
      `invalid --fail-if "${text}": expected <metric><op><signed percent>, e.g. "p99>+10%" or "rps<-5%" (metrics: ${gateMetrics.join(', ')}, and per name p99{name:<name>}, p50{...}, rps{...}, errors{...})`,
    )
  }
  return { expression: text.trim(), metric: m[1]!, operator: m[2] as '<' | '>', limit: Number(m[3]) }
}
