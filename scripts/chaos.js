// `npm run chaos`: installs what the run needs (npm ci, a build, the Temporal
// CLI), then runs the chaos scenarios (test/chaos/run.ts) against a stack of
// their own. Arguments go to the runner: --scenario R1,R3 --targets N --seed S.
const { spawn } = require('node:child_process');
const { join } = require('node:path');
const { root, ensureInstalled, build, ensureTemporalCli } = require('./bootstrap');

ensureInstalled();
build();
ensureTemporalCli();

// The same as `npx ts-node --transpile-only test/chaos/run.ts ...`, without npm in between.
const runner = spawn(process.execPath, [require.resolve('ts-node/dist/bin.js', { paths: [root] }), '--transpile-only', join(root, 'test', 'chaos', 'run.ts'), ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});

// The runner stops everything it started before it exits; this process waits for that. A
// signal is passed on (Ctrl-C reaches both already; the runner acts on the first one only).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (runner.exitCode === null && runner.signalCode === null) runner.kill(signal);
  });
}
runner.on('exit', (code, signal) => process.exit(signal ? 130 : (code ?? 1)));
