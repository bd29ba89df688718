#!/usr/bin/env node
// fleetcmd's command line: runs the compiled CLI (npm ci builds it; `npm run build` after edits).
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const cli = join(__dirname, '..', 'dist', 'client', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write('fleetcmd is not built yet: run `npm run build` in the fleetcmd folder\n');
  process.exit(1);
}
require(cli)
  .runCli(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
