import { hotpathTsdown } from '@hotpath/config/tsdown'
import { defineConfig } from 'tsdown'

export default defineConfig(
  hotpathTsdown({
    entry: ['src/index.ts', 'src/fastify.ts'],
    // The packages whose channel payload types src/contracts.ts imports (`import type`, devDependencies):
    // never inline their declarations (or those of undici / hdr-histogram-js behind them) into ours.
    // test/package.test.ts checks that the emitted .d.mts does not name them either.
    external: [/^@hotpath\/(cache|http|db|load)(\/|$)/],
  }),
)
