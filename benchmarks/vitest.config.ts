import { defineConfig } from 'vitest/config'
import { hotpathVitest } from '@hotpath/config/vitest'

export default defineConfig(hotpathVitest({ testTimeout: 120_000 }))
