import { hotpathTsdown } from '@hotpath/config/tsdown'
import { defineConfig } from 'tsdown'

export default defineConfig(hotpathTsdown({ entry: { index: 'src/index.ts', pool: 'src/pool-entry.ts' } }))
