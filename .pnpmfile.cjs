// pnpm loads this file before anything else, also before it refuses an unsupported Node (engine-strict,
// ERR_PNPM_UNSUPPORTED_ENGINE): say exactly what to install. Plain ES5: it runs on whatever Node is there.
'use strict'
var wanted = String(require('./package.json').engines.node).replace(/^>=\s*/, '')
var floor = wanted.split('.').map(Number)
var have = process.versions.node.split('.').map(Number)
var below = false
var i
for (i = 0; i < 3; i++) {
  if ((have[i] || 0) !== (floor[i] || 0)) {
    below = (have[i] || 0) < (floor[i] || 0)
    break
  }
}
if (below) {
  process.stderr.write(
    [
      '',
      'hotpath needs Node.js >= ' +
        wanted +
        ' (you have ' +
        process.version +
        '); Node 24 LTS is the reference.',
      '  Install Node 24 with a version manager:  fnm install 24 && fnm use 24   (or: nvm install 24 && nvm use 24)',
      "  or run once without installing it:        npx -p node@24 -p pnpm@10.34.9 -c 'pnpm install && pnpm demo'",
      '  then run the command again (see README.md "Requirements").',
      '',
      '',
    ].join('\n'),
  )
}
module.exports = { hooks: {} }
