// Diagnostics channels of @hotpath/db, created once at module load (see docs/diagnostics-channels.md).
import diagnostics_channel from 'node:diagnostics_channel'

export const queryChannel: diagnostics_channel.Channel = diagnostics_channel.channel('hotpath:db:query')
export const slowQueryChannel: diagnostics_channel.Channel =
  diagnostics_channel.channel('hotpath:db:slow-query')
export const acquireChannel: diagnostics_channel.Channel =
  diagnostics_channel.channel('hotpath:db:pool:acquire')
export const releaseChannel: diagnostics_channel.Channel =
  diagnostics_channel.channel('hotpath:db:pool:release')
export const timeoutChannel: diagnostics_channel.Channel =
  diagnostics_channel.channel('hotpath:db:pool:timeout')
export const createChannel: diagnostics_channel.Channel =
  diagnostics_channel.channel('hotpath:db:pool:create')
export const destroyChannel: diagnostics_channel.Channel =
  diagnostics_channel.channel('hotpath:db:pool:destroy')
export const poolErrorChannel: diagnostics_channel.Channel =
  diagnostics_channel.channel('hotpath:db:pool:error')
export const leakChannel: diagnostics_channel.Channel = diagnostics_channel.channel('hotpath:db:pool:leak')
