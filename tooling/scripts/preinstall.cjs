// Root "preinstall": this workspace installs with pnpm only (npm ignores pnpm-workspace.yaml and would
// leave every package without its dependencies). Plain ES5: it runs on whatever Node is there.
'use strict'
// biome-ignore lint/suspicious/noUndeclaredEnvVars: read at install time, by no Turbo task
var agent = process.env.npm_config_user_agent || ''
if (!/^pnpm\//.test(agent)) {
  process.stderr.write(
    [
      '',
      'hotpath installs with pnpm, not ' + (agent.split(' ')[0] || 'this tool') + ':',
      '  npm i -g pnpm@10.34.9',
      '  rm -rf node_modules && pnpm install',
      '(see README.md "Requirements")',
      '',
      '',
    ].join('\n'),
  )
  process.exit(1)
}
