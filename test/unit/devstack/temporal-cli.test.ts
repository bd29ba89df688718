import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedCliPath, obtainTemporalCli } from '../../../src/devstack/temporal-cli';

// Each case runs with a PATH made of a folder of small shell scripts standing in for `go`,
// so the search order and failure messages are checked without building anything.
function sandbox(tools: Record<string, string>): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'fleetcmd-cli-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const [name, body] of Object.entries(tools)) {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  return { PATH: `${bin}:/usr/bin:/bin`, HOME: dir, FLEETCMD_CACHE_DIR: join(dir, 'cache'), FLEETCMD_NO_DOWNLOAD: '1' };
}

const fakeCli = 'echo "temporal version 0.0.0-DEV (Server 1.29.1, UI 2.42.1)"';

test('without Go, the failure names every fix: TEMPORAL_CLI, PATH, Go, the download', async () => {
  const env = sandbox({});
  await expect(obtainTemporalCli({ env })).rejects.toThrow(/Go is not installed/);
  const message = await obtainTemporalCli({ env }).catch((e: Error) => e.message);
  expect(message).toContain('set TEMPORAL_CLI=/path/to/temporal');
  expect(message).toContain('put `temporal` on PATH');
  expect(message).toContain('install Go >= 1.25');
  expect(message).toContain('allow the SDK download');
});

test('a Go older than 1.25 is reported as too old', async () => {
  const env = sandbox({ go: 'echo go1.22.5' });
  await expect(obtainTemporalCli({ env })).rejects.toThrow(/Go 1\.22 is too old to build the Temporal CLI \(needs >= 1\.25\)/);
});

test('a failing go install is reported with its own last lines', async () => {
  const env = sandbox({ go: 'if [ "$1" = env ]; then echo go1.26.8; else echo "go: module lookup disabled by GOPROXY=off" >&2; exit 1; fi' });
  await expect(obtainTemporalCli({ env })).rejects.toThrow(/go install github.com\/temporalio\/cli\/cmd\/temporal@v1\.5\.1 failed:\s+go: module lookup disabled/);
});

test('TEMPORAL_CLI wins over everything else', async () => {
  const env = sandbox({ temporal: fakeCli });
  const own = join(env.HOME as string, 'bin', 'temporal');
  expect(await obtainTemporalCli({ env: { ...env, TEMPORAL_CLI: own } })).toEqual({ type: 'existing-path', path: own, source: 'env' });
});

test('a temporal on PATH is used before the cache', async () => {
  const env = sandbox({ temporal: fakeCli });
  expect(await obtainTemporalCli({ env })).toMatchObject({ type: 'existing-path', source: 'path' });
});

test('a cached build is found without Go', async () => {
  const env = sandbox({});
  mkdirSync(join(env.FLEETCMD_CACHE_DIR as string, 'temporal-cli-v1.5.1'), { recursive: true });
  writeFileSync(cachedCliPath(env), `#!/bin/sh\n${fakeCli}\n`);
  chmodSync(cachedCliPath(env), 0o755);
  expect(await obtainTemporalCli({ env })).toEqual({ type: 'existing-path', path: cachedCliPath(env), source: 'cache' });
});

test('a successful go install lands the binary in the cache, and the next call finds it there', async () => {
  // A stand-in go that "builds" by copying a CLI script into $GOBIN.
  const env = sandbox({ 'fake-temporal': fakeCli, go: 'if [ "$1" = env ]; then echo go1.26.8; exit 0; fi\ncp "$(dirname "$0")/fake-temporal" "$GOBIN/temporal"' });
  expect(await obtainTemporalCli({ env })).toEqual({ type: 'existing-path', path: cachedCliPath(env), source: 'go-install' });
  expect(await obtainTemporalCli({ env })).toEqual({ type: 'existing-path', path: cachedCliPath(env), source: 'cache' });
});

test('with the download allowed, a machine without any CLI falls back to the SDK download', async () => {
  const env = { ...sandbox({}), FLEETCMD_NO_DOWNLOAD: undefined };
  expect(await obtainTemporalCli({ env })).toEqual({ type: 'cached-download' });
});
