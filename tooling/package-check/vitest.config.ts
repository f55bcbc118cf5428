import { defineConfig } from 'vitest/config'
import { hotpathVitest } from '@hotpath/config/vitest'

// Each case packs and npm-installs a real tarball: give them time.
export default defineConfig(hotpathVitest({ testTimeout: 180_000, maxConcurrency: 4 }))
