import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * Where the Temporal dev server comes from. Either a binary we can start and
 * restart ourselves, or the SDK's own download (machines with internet only).
 */
export type TemporalExecutable =
  | { type: 'existing-path'; path: string; source: 'env' | 'path' | 'cache' | 'go-install' }
  | { type: 'cached-download' };

/** The one CLI tag `go install` accepts: later tags carry a `replace` directive it refuses. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
const MIN_GO = [1, 25];

export interface ObtainOptions {
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Allow falling back to the SDK's download (default true unless FLEETCMD_NO_DOWNLOAD=1). */
  allowDownload?: boolean;
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.FLEETCMD_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'fleetcmd');
  return join(base, `temporal-cli-${TEMPORAL_CLI_VERSION}`);
}

export function cachedCliPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), 'temporal');
}

/**
 * Finds or builds the Temporal CLI, in this order: TEMPORAL_CLI, `temporal`
 * on PATH, the cached build, `go install` into the cache, the SDK download.
 * Idempotent: a second call finds the cache. Throws one message listing every
 * way to fix it when nothing works.
 */
export async function obtainTemporalCli(options: ObtainOptions = {}): Promise<TemporalExecutable> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => undefined);
  const tried: string[] = [];

  if (env.TEMPORAL_CLI) {
    if (isTemporalCli(env.TEMPORAL_CLI)) return { type: 'existing-path', path: env.TEMPORAL_CLI, source: 'env' };
    tried.push(`TEMPORAL_CLI=${env.TEMPORAL_CLI} is not a working Temporal CLI`);
  } else tried.push('TEMPORAL_CLI is not set');

  const onPath = findOnPath('temporal', env);
  if (onPath && isTemporalCli(onPath)) return { type: 'existing-path', path: onPath, source: 'path' };
  tried.push('no `temporal` on PATH');

  const cached = cachedCliPath(env);
  if (existsSync(cached) && isTemporalCli(cached)) return { type: 'existing-path', path: cached, source: 'cache' };
  tried.push(`no cached build at ${cached}`);

  const goProblem = await goInstall(cached, env, log);
  if (!goProblem) return { type: 'existing-path', path: cached, source: 'go-install' };
  tried.push(goProblem);

  const allowDownload = options.allowDownload ?? env.FLEETCMD_NO_DOWNLOAD !== '1';
  if (allowDownload) {
    log('falling back to the Temporal SDK download of the CLI (needs internet access to temporal.download)');
    return { type: 'cached-download' };
  }
  tried.push('the SDK download is disabled (FLEETCMD_NO_DOWNLOAD=1)');
  throw new Error(noCliMessage(tried));
}

export function noCliMessage(tried: string[]): string {
  return [
    'fleetcmd needs the Temporal CLI (`temporal server start-dev`) and could not obtain it:',
    ...tried.map((t) => `  - ${t}`),
    'Fix one of these:',
    '  - set TEMPORAL_CLI=/path/to/temporal',
    '  - put `temporal` on PATH',
    `  - install Go >= ${MIN_GO.join('.')} and re-run: it builds ${CLI_MODULE}@${TEMPORAL_CLI_VERSION} once into ${cacheDir()}`,
    '  - allow the SDK download of the CLI (internet access to temporal.download; unset FLEETCMD_NO_DOWNLOAD)',
  ].join('\n');
}

function isTemporalCli(path: string): boolean {
  const r = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  return r.status === 0 && /temporal version/i.test(r.stdout);
}

function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function goVersion(env: NodeJS.ProcessEnv): number[] | undefined {
  const r = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8', env, timeout: 20_000 });
  const m = r.status === 0 ? /go(\d+)\.(\d+)/.exec(r.stdout) : null;
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** Builds the CLI into the cache; returns why it could not, or undefined on success. */
async function goInstall(target: string, env: NodeJS.ProcessEnv, log: (l: string) => void): Promise<string | undefined> {
  const version = goVersion(env);
  if (!version) return 'Go is not installed (needed to build the Temporal CLI)';
  if (version[0] < MIN_GO[0] || (version[0] === MIN_GO[0] && version[1] < MIN_GO[1])) {
    return `Go ${version.join('.')} is too old to build the Temporal CLI (needs >= ${MIN_GO.join('.')})`;
  }
  const dir = cacheDir(env);
  mkdirSync(dir, { recursive: true });
  // Build into a private folder and rename: concurrent or interrupted builds never leave a half-written binary.
  const gobin = mkdtempSync(join(dir, 'build-'));
  log(`building the Temporal CLI ${TEMPORAL_CLI_VERSION} with go install (once; a few minutes on 2 cores)...`);
  const started = Date.now();
  const result = await new Promise<{ code: number | null; tail: string[] }>((resolve) => {
    const child = spawn('go', ['install', `${CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
      env: { ...env, GOBIN: gobin },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    let downloads = 0;
    const onLine = (line: string): void => {
      if (!line.trim()) return;
      tail.push(line);
      if (tail.length > 20) tail.shift();
      if (line.startsWith('go: downloading')) {
        downloads += 1;
        if (downloads % 25 === 0) log(`  fetched ${downloads} modules...`);
      }
    };
    let buf = '';
    const take = (chunk: Buffer): void => {
      buf += chunk.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      lines.forEach(onLine);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const ticker = setInterval(() => log(`  still building (${Math.round((Date.now() - started) / 1000)} s, ${downloads} modules fetched)...`), 20_000);
    child.on('error', (err) => tail.push(String(err)));
    child.on('close', (code) => {
      clearInterval(ticker);
      onLine(buf);
      resolve({ code, tail });
    });
  });
  const built = join(gobin, 'temporal');
  if (result.code !== 0 || !existsSync(built) || !isTemporalCli(built)) {
    rmSync(gobin, { recursive: true, force: true });
    return `go install ${CLI_MODULE}@${TEMPORAL_CLI_VERSION} failed:\n      ${result.tail.slice(-8).join('\n      ')}`;
  }
  renameSync(built, target);
  rmSync(gobin, { recursive: true, force: true });
  log(`built the Temporal CLI in ${Math.round((Date.now() - started) / 1000)} s: ${target}`);
  return undefined;
}
