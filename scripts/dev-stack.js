// `npm run dev-stack -- start|stop|status [--foreground]`: the Temporal dev
// server (with its Web UI) and Azurite for a person, data in .fleetcmd/dev-stack.
const { spawn } = require('node:child_process');
const { existsSync, readFileSync, openSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');
const { root, ensureInstalled, build, ensureTemporalCli } = require('./bootstrap');

const dataDir = join(root, '.fleetcmd', 'dev-stack');
const stateFile = join(dataDir, 'state.json');
const daemon = join(root, 'dist', 'devstack', 'daemon.js');

function readState() {
  if (!existsSync(stateFile)) return undefined;
  const state = JSON.parse(readFileSync(stateFile, 'utf8'));
  try {
    process.kill(state.pid, 0);
    return state;
  } catch {
    return undefined;
  }
}

function print(state) {
  console.log(`Temporal      ${state.temporal.address} (namespace ${state.temporal.namespace})`);
  if (state.temporal.uiUrl) console.log(`Temporal UI   ${state.temporal.uiUrl}`);
  console.log(`Azurite blob  ${state.azurite.blobEndpoint}`);
  console.log(`data          ${state.dataDir}`);
}

async function start(foreground) {
  const running = readState();
  if (running) return print(running), console.log('(already running)');
  ensureInstalled();
  build();
  ensureTemporalCli();
  mkdirSync(dataDir, { recursive: true });
  if (foreground) {
    const child = spawn(process.execPath, [daemon, dataDir], { stdio: ['ignore', 'ignore', 'inherit'] });
    const wait = setInterval(() => {
      const state = readState();
      if (state) clearInterval(wait), print(state), console.log('Ctrl-C stops everything.');
    }, 300);
    process.on('SIGINT', () => child.kill('SIGINT'));
    child.on('exit', (code) => process.exit(code ?? 0));
    return;
  }
  const log = openSync(join(dataDir, 'daemon.log'), 'a');
  const child = spawn(process.execPath, [daemon, dataDir], { detached: true, stdio: ['ignore', 'ignore', log] });
  child.unref();
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const state = readState();
    if (state) return print(state);
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  console.error(`the dev stack did not start; see ${join(dataDir, 'daemon.log')}`);
  process.exit(1);
}

async function stop() {
  const state = readState();
  if (!state) return console.log('the dev stack is not running');
  process.kill(state.pid, 'SIGTERM');
  while (readState()) await new Promise((r) => setTimeout(r, 200));
  console.log('stopped');
}

const [command = 'status', ...flags] = process.argv.slice(2);
const actions = {
  start: () => start(flags.includes('--foreground')),
  stop,
  status: async () => {
    const state = readState();
    if (state) print(state);
    else console.log('the dev stack is not running (npm run dev-stack -- start)');
  },
};
if (!actions[command]) {
  console.error('usage: npm run dev-stack -- start [--foreground] | stop | status');
  process.exit(2);
}
actions[command]().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
