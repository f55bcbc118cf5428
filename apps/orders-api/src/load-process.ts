// The demo's load generator in its own process (never in the service's): `node src/load-process.ts <options.json>
// <result.json>` runs @hotpath/load's runLoad with those options and writes the result.
import { readFile, writeFile } from 'node:fs/promises'
import { runLoad } from '@hotpath/load'

const [optionsFile, resultFile] = process.argv.slice(2)
if (!optionsFile || !resultFile) {
  process.stderr.write('usage: node src/load-process.ts <options.json> <result.json>\n')
  process.exit(2)
}
const options = JSON.parse(await readFile(optionsFile, 'utf8'))
const result = await runLoad(options)
await writeFile(resultFile, JSON.stringify(result))
