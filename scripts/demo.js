// `npm run demo`: installs what it needs, then runs fleetcmd end to end on a
// local stack it starts and stops itself (src/devstack/demo.ts).
const { join } = require('node:path');
const { spawnSync } = require('node:child_process');
const { root, ensureInstalled, build, ensureTemporalCli } = require('./bootstrap');

ensureInstalled();
build();
ensureTemporalCli();
const r = spawnSync(process.execPath, [join(root, 'dist', 'devstack', 'demo.js')], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
