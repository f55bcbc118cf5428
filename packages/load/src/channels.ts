// Diagnostics channels of @hotpath/load, created once at module load; published only with subscribers.
import diagnostics_channel from 'node:diagnostics_channel'

export const startChannel: diagnostics_channel.Channel = diagnostics_channel.channel('hotpath:load:start')
export const progressChannel: diagnostics_channel.Channel =
  diagnostics_channel.channel('hotpath:load:progress')
export const endChannel: diagnostics_channel.Channel = diagnostics_channel.channel('hotpath:load:end')
