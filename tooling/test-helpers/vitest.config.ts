import { defineConfig } from 'vitest/config'
import { hotpathVitest } from '@hotpath/config/vitest'

export default defineConfig(hotpathVitest())
