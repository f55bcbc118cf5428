import { hotpathTsdown } from '@hotpath/config/tsdown'
import { defineConfig } from 'tsdown'

export default defineConfig(hotpathTsdown({ entry: ['src/index.ts', 'src/cli.ts', 'src/worker.ts'] }))
