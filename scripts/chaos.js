// `npm run chaos`: installs what the run needs (npm ci, a build, the Temporal
// CLI), then runs the chaos scenarios (test/chaos/run.ts) against a stack of
// their own. Arguments go to the runner: --scenario R1,R3 --targets N --seed S.
const { ensureInstalled, build, ensureTemporalCli, runTypeScriptEntry } = require('./bootstrap');

ensureInstalled();
build();
ensureTemporalCli();
runTypeScriptEntry('test/chaos/run.ts', process.argv.slice(2));
