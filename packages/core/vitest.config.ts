import { hotpathVitest } from '@hotpath/config/vitest'
import { defineConfig } from 'vitest/config'

export default defineConfig(hotpathVitest())
