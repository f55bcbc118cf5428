// Diagnostics channels of @hotpath/cache, created once at module load (see docs/diagnostics-channels.md).
import diagnostics_channel from 'node:diagnostics_channel'

export const getChannel: diagnostics_channel.Channel = diagnostics_channel.channel('hotpath:cache:get')
export const setChannel: diagnostics_channel.Channel = diagnostics_channel.channel('hotpath:cache:set')
export const deleteChannel: diagnostics_channel.Channel = diagnostics_channel.channel('hotpath:cache:delete')
export const evictChannel: diagnostics_channel.Channel = diagnostics_channel.channel('hotpath:cache:evict')
export const factoryChannel: diagnostics_channel.Channel =
  diagnostics_channel.channel('hotpath:cache:factory')
export const l2ErrorChannel: diagnostics_channel.Channel =
  diagnostics_channel.channel('hotpath:cache:l2:error')
export const breakerChannel: diagnostics_channel.Channel =
  diagnostics_channel.channel('hotpath:cache:breaker')
export const busChannel: diagnostics_channel.Channel = diagnostics_channel.channel('hotpath:cache:bus')
