import { hotpathTsdown } from '@hotpath/config/tsdown'
import { defineConfig } from 'tsdown'

export default defineConfig(hotpathTsdown())
