import { hotpathVitest } from '@hotpath/config/vitest'
import { defineConfig } from 'vitest/config'

// Most files wait on spawned servers and real sockets, not on CPU: three files at a time keep the suite short.
export default defineConfig(hotpathVitest({ testTimeout: 60_000, maxWorkers: 3 }))
