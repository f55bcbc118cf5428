import type { ViteUserConfig } from 'vitest/config'
export declare function hotpathVitest(overrides?: NonNullable<ViteUserConfig['test']>): ViteUserConfig
