// `npm run bench`: installs what the run needs (npm ci, a build, the Temporal
// CLI), then runs the benchmarks (bench/run.ts) against a stack of their own.
// Arguments go to the runner: --only P1,P3 --quick --p2-targets N ...
const { ensureInstalled, build, ensureTemporalCli, runTypeScriptEntry } = require('./bootstrap');

ensureInstalled();
build();
ensureTemporalCli();
runTypeScriptEntry('bench/run.ts', process.argv.slice(2));
