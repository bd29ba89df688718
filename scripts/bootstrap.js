// Shared first steps of `npm test`, `npm run demo` and the dev stack. Node
// built-ins only: this runs before node_modules exists on a fresh clone.
const { spawnSync } = require('node:child_process');
const { existsSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');

function run(command, args, options = {}) {
  const r = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (r.status !== 0) {
    process.stderr.write(`\n${command} ${args.join(' ')} failed (exit ${r.status ?? r.signal})\n`);
    process.exit(r.status || 1);
  }
  return r;
}

/** npm ci when node_modules is missing or older than the lock file. */
function ensureInstalled() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  process.stderr.write('installing dependencies (npm ci)...\n');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

/** Compiles src/ to dist/ (worker and emulator processes run from it). */
function build() {
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']);
}

/**
 * Finds or builds the Temporal CLI up front, so its progress shows before
 * anything else. Returns the executable's path, or 'sdk-download' when the
 * dev server will use the Temporal SDK's own download instead.
 */
function ensureTemporalCli() {
  const r = run(process.execPath, [join(root, 'dist', 'devstack', 'cli.js'), 'temporal-cli'], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  return r.stdout.trim();
}

/**
 * Runs a TypeScript entry point (`npx ts-node --transpile-only <file> ...args`
 * without npm in between) and exits with its status. The entry stops what it
 * started before it exits; a signal to this process is passed on to it.
 */
function runTypeScriptEntry(file, args) {
  const { spawn } = require('node:child_process');
  const entry = spawn(process.execPath, [require.resolve('ts-node/dist/bin.js', { paths: [root] }), '--transpile-only', join(root, file), ...args], {
    cwd: root,
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (entry.exitCode === null && entry.signalCode === null) entry.kill(signal);
    });
  }
  entry.on('exit', (code, signal) => process.exit(signal ? 130 : (code ?? 1)));
}

module.exports = { root, run, ensureInstalled, build, ensureTemporalCli, runTypeScriptEntry };
