import { hotpathVitest } from '@hotpath/config/vitest'
import { defineConfig } from 'vitest/config'

// Load tests measure timing: run the files one after the other so they do not load the CPU for each other.
export default defineConfig(hotpathVitest({ fileParallelism: false }))
