import type { UserConfig } from 'tsdown'
export declare function hotpathTsdown(overrides?: UserConfig): UserConfig
