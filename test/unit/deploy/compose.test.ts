import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, relative } from 'node:path';
import { isMap, isScalar, parse, parseDocument, type Scalar } from 'yaml';
import { temporalTarget } from '../../../src/client/connection';
import { DEV_ACCOUNT_KEY, DEV_ACCOUNT_NAME } from '../../../src/devstack/azurite';
import { ensureTlsMaterial } from '../../../src/emulator/certs';
import { CONTRIBUTOR_TOKEN } from '../../../src/emulator/emulator';
import { parseEmulatorArgs } from '../../../src/emulator/main';
import { execForm, instructionsOf, parseDockerfile, type Stage } from './dockerfile';
import { allSourceSettings, definedSearchAttributes, repoPath, workerSettings } from './source-settings';

/**
 * docker-compose.yml, the Dockerfile and .dockerignore, checked against the
 * code they run. No Docker engine is needed (or available where these run):
 * every check is on the files themselves.
 */

// --- reading the files ------------------------------------------------------

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | number | { target: number; published?: number | string })[];
  volumes?: (string | { type?: string; source?: string; target: string; read_only?: boolean })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  deploy?: { replicas?: number };
  scale?: number;
  network_mode?: string;
}

interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const composeText = readFileSync(repoPath('docker-compose.yml'), 'utf8');
const compose = parse(composeText, { merge: true }) as ComposeFile;
const services = compose.services;
const dockerfile = parseDockerfile(readFileSync(repoPath('Dockerfile'), 'utf8'));
const dockerignore = readFileSync(repoPath('.dockerignore'), 'utf8')
  .split(/\r?\n/)
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));

function service(name: string): Service {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

function environment(name: string): Record<string, string> {
  const env = service(name).environment ?? {};
  const entries = Array.isArray(env) ? env.map((line) => line.split(/=(.*)/s, 2) as [string, string]) : Object.entries(env);
  return Object.fromEntries(entries.map(([key, value]) => [key, value === null || value === undefined ? '' : String(value)]));
}

function command(name: string): string[] {
  const value = service(name).command;
  if (value === undefined) throw new Error(`service ${name} has no command`);
  return typeof value === 'string' ? value.split(/\s+/) : value;
}

function publishedPorts(name: string): { published: number; target: number }[] {
  return (service(name).ports ?? []).map((port) => {
    if (typeof port === 'object') return { published: Number(port.published ?? port.target), target: port.target };
    const parts = String(port).split(':');
    return { published: Number(parts[parts.length - 2] ?? parts[0]), target: Number(parts[parts.length - 1]) };
  });
}

interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
}

function mounts(name: string): Mount[] {
  return (service(name).volumes ?? []).map((volume) => {
    if (typeof volume === 'object') return { source: volume.source ?? '', target: volume.target, readOnly: volume.read_only === true };
    const [source, target, mode] = volume.split(':');
    return { source, target, readOnly: (mode ?? '').split(',').includes('ro') };
  });
}

/** The named volume and the path inside it that hold `path` in a service's file system. */
function volumeHolding(name: string, path: string): { volume: string; inside: string } | undefined {
  const candidates = mounts(name)
    .filter((m) => m.source in (compose.volumes ?? {}) && (path === m.target || path.startsWith(`${m.target}/`)))
    .sort((a, b) => b.target.length - a.target.length);
  const mount = candidates[0];
  return mount && { volume: mount.source, inside: posix.relative(mount.target, path) };
}

function dependencies(name: string): Record<string, string | undefined> {
  const deps = service(name).depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, undefined]));
  return Object.fromEntries(Object.entries(deps).map(([d, spec]) => [d, spec?.condition]));
}

function builtFromDockerfile(name: string): boolean {
  const build = service(name).build;
  if (build === undefined) return false;
  const context = typeof build === 'string' ? build : (build.context ?? '.');
  const file = typeof build === 'string' ? 'Dockerfile' : (build.dockerfile ?? 'Dockerfile');
  return relative(repoPath(), repoPath(context)) === '' && file === 'Dockerfile';
}

const tsconfigBuild = JSON.parse(readFileSync(repoPath('tsconfig.build.json'), 'utf8')) as {
  compilerOptions: { outDir: string; rootDir: string };
  include: string[];
};
const { outDir, rootDir } = tsconfigBuild.compilerOptions;

/** The source file `tsc -p tsconfig.build.json` compiles into `script` (dist/x/y.js -> src/x/y.ts), if any. */
function sourceOf(script: string): string | undefined {
  const normalized = posix.normalize(script);
  if (!normalized.startsWith(`${outDir}/`) || !normalized.endsWith('.js')) return undefined;
  const source = `${rootDir}/${normalized.slice(outDir.length + 1, -'.js'.length)}.ts`;
  return existsSync(repoPath(source)) ? source : undefined;
}

const CLI_SEARCH_ATTRIBUTE_TYPES: Record<string, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** fleetcmd's search attributes as `temporal operator search-attribute create` names them. */
function searchAttributesForCli(): { name: string; type: string }[] {
  return definedSearchAttributes().map(({ name, type }) => ({ name, type: CLI_SEARCH_ATTRIBUTE_TYPES[type] ?? type }));
}

const emulatorArgs = () => parseEmulatorArgs(command('emulator').slice(2));
const workerEnv = () => environment('worker');

// --- docker-compose.yml ---------------------------------------------------------

describe('docker-compose.yml', () => {
  test('defines Temporal, PostgreSQL, the search-attribute setup, the Web UI, Azurite, the emulator and the worker', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['azurite', 'emulator', 'postgresql', 'temporal', 'temporal-search-attributes', 'temporal-ui', 'worker'].sort(),
    );
  });

  test('comments every service with why it is there', () => {
    const servicesMap = parseDocument(composeText, { merge: true }).get('services');
    if (!isMap(servicesMap)) throw new Error('services is not a map');
    const uncommented = servicesMap.items
      .map((pair, index) => {
        const key = pair.key as Scalar;
        // yaml hangs the comment above the first entry on the map itself.
        const comment = key.commentBefore ?? (index === 0 ? servicesMap.commentBefore : undefined);
        return { name: String(isScalar(key) ? key.value : key), comment: comment?.trim() ?? '' };
      })
      .filter(({ comment }) => comment.length < 20)
      .map(({ name }) => name);
    expect(uncommented).toEqual([]);
  });

  test('pins every image it pulls to a version', () => {
    const unpinned = Object.entries(services)
      .filter(([name]) => !builtFromDockerfile(name))
      .filter(([, s]) => !/:[^:/]*\d[^:/]*$/.test(s.image ?? '') || /:latest$/.test(s.image ?? ''))
      .map(([name, s]) => `${name}: ${s.image ?? '(no image)'}`);
    expect(unpinned).toEqual([]);
  });

  test('builds the emulator and the worker from the Dockerfile, as one image', () => {
    expect(builtFromDockerfile('emulator')).toBe(true);
    expect(builtFromDockerfile('worker')).toBe(true);
    expect(service('worker').image).toBe(service('emulator').image);
  });

  test('runs Temporal on the PostgreSQL service', () => {
    const env = environment('temporal');
    expect(service('temporal').image).toMatch(/^temporalio\/auto-setup:/);
    expect(service('postgresql').image).toMatch(/^postgres:/);
    expect(env.DB).toBe('postgres12');
    expect(env.POSTGRES_SEEDS).toBe('postgresql');
    expect(env.POSTGRES_USER).toBe(environment('postgresql').POSTGRES_USER);
    expect(env.POSTGRES_PWD).toBe(environment('postgresql').POSTGRES_PASSWORD);
  });

  test('keeps PostgreSQL off the host (its password is a local default)', () => {
    expect(publishedPorts('postgresql')).toEqual([]);
  });

  test.each([
    ['temporal', 7233],
    ['temporal-ui', 8080],
    ['azurite', 10000],
  ])('publishes %s on port %d', (name, port) => {
    expect(publishedPorts(name)).toContainEqual({ published: port, target: port });
  });

  test('points the Web UI at the Temporal service', () => {
    expect(environment('temporal-ui').TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  test('registers exactly the search attributes the workflows define, in the namespace the worker uses', () => {
    const script = command('temporal-search-attributes').join('\n');
    const registered = [...script.matchAll(/search-attribute create --namespace ([\w.-]+) --name (\w+) --type (\w+)/g)];
    expect(registered.map(([, , name, type]) => ({ name, type })).sort((a, b) => a.name.localeCompare(b.name))).toEqual(searchAttributesForCli());
    expect(new Set(registered.map(([, namespace]) => namespace))).toEqual(new Set([workerEnv().FLEETCMD_NAMESPACE]));
    expect(environment('temporal-search-attributes').TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  test('creates a search attribute only when it is missing, so every `up` can run the setup again', () => {
    const script = command('temporal-search-attributes').join('\n');
    for (const { name } of searchAttributesForCli()) {
      expect(script).toMatch(new RegExp(`grep -qw ${name} \\|\\| temporal operator search-attribute create [^\\n]*--name ${name} `));
    }
  });

  test('runs two worker replicas', () => {
    const worker = service('worker');
    expect(worker.deploy?.replicas ?? worker.scale).toBe(2);
  });

  test('starts the worker and the emulator from files the build compiles', () => {
    expect(tsconfigBuild.include).toContain(rootDir);
    for (const name of ['worker', 'emulator']) {
      const [program, script] = command(name);
      expect(program).toBe('node');
      expect({ name, source: sourceOf(script) }).toEqual({ name, source: expect.any(String) });
    }
    expect(sourceOf(command('worker')[1])).toBe(`${rootDir}/worker.ts`);
    expect(sourceOf(command('emulator')[1])).toBe(`${rootDir}/emulator/main.ts`);
  });

  test('gives the emulator only options it accepts', () => {
    expect(() => emulatorArgs()).not.toThrow();
    expect(emulatorArgs().port).toBeGreaterThan(0);
  });

  test('sets every setting the worker reads, or leaves it unset on purpose', () => {
    // Unset here, and why; a setting the worker starts reading must be added to
    // the worker's environment or to this list.
    const leftUnset: Record<string, string> = {
      FLEETCMD_WORKFLOW_BUNDLE: 'the worker bundles src/workflows itself at start',
      FLEETCMD_MAX_CACHED_WORKFLOWS: "the Temporal SDK's default",
      FLEETCMD_STORAGE_ACCOUNT_URL: 'real Azure storage; Azurite is reached by connection string',
      FLEETCMD_CODEC_KEY_FILE: 'FLEETCMD_CODEC_KEYS carries the keys instead',
      FLEETCMD_CODEC_SERVER_HOST: 'settings of `fleetcmd codec serve`, not of the worker',
      FLEETCMD_CODEC_SERVER_PORT: 'settings of `fleetcmd codec serve`, not of the worker',
      FLEETCMD_CODEC_SERVER_CORS_ORIGIN: 'settings of `fleetcmd codec serve`, not of the worker',
      FLEETCMD_CODEC_SERVER_TOKEN: 'settings of `fleetcmd codec serve`, not of the worker',
      FLEETCMD_ARM_WRITES_PER_SECOND: "the default, under Azure's write limits",
      FLEETCMD_ARM_REFILL_SPEEDUP: 'the compose emulator runs at time scale 1',
      FLEETCMD_LOG_LEVEL: 'INFO',
      FLEETCMD_METRICS_ADDRESS: 'no Prometheus in this compose file',
    };
    const env = workerEnv();
    const missing = [...workerSettings()].filter((name) => !(name in env) && !(name in leftUnset)).sort();
    expect(missing).toEqual([]);
  });

  test('gives the worker only settings fleetcmd reads', () => {
    const known = allSourceSettings();
    const unknown = Object.keys(workerEnv()).filter((name) => name.startsWith('FLEETCMD_') && !known.has(name));
    expect(unknown).toEqual([]);
  });

  test('serves the namespace and task queue the CLI uses by default', () => {
    const defaults = temporalTarget({}, {});
    expect(workerEnv().FLEETCMD_NAMESPACE).toBe(defaults.namespace);
    expect(workerEnv().FLEETCMD_TASK_QUEUE).toBe(defaults.taskQueue);
  });

  test("points the worker at Temporal's frontend port", () => {
    const [host, port] = workerEnv().FLEETCMD_TEMPORAL_ADDRESS.split(':');
    expect(host).toBe('temporal');
    expect(publishedPorts('temporal').map((p) => p.target)).toContain(Number(port));
  });

  test("points the worker at the emulator's port, over https", () => {
    const endpoint = new URL(workerEnv().FLEETCMD_ARM_ENDPOINT);
    expect(endpoint.protocol).toBe('https:');
    expect(Number(endpoint.port)).toBe(emulatorArgs().port);
  });

  describe('with the TLS material the emulator generates', () => {
    let dataDir: string;
    let material: ReturnType<typeof ensureTlsMaterial>;
    beforeAll(() => {
      dataDir = mkdtempSync(join(tmpdir(), 'fleetcmd-compose-'));
      material = ensureTlsMaterial(dataDir);
    });
    afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

    test("addresses the emulator by a name its certificate holds", () => {
      const host = new URL(workerEnv().FLEETCMD_ARM_ENDPOINT).hostname;
      const names = (new X509Certificate(material.serverCertPem).subjectAltName ?? '').split(/,\s*/).map((entry) => entry.replace(/^(DNS|IP Address):/, ''));
      expect(names).toContain(host);
    });

    test('gives the worker the CA file the emulator writes, through a volume they share', () => {
      const caInsideDataDir = relative(dataDir, material.caCertPath).split('\\').join('/');
      const caInEmulator = posix.join(emulatorArgs().dataDir, caInsideDataDir);
      const emulatorSide = volumeHolding('emulator', caInEmulator);
      const workerSide = volumeHolding('worker', workerEnv().FLEETCMD_ARM_CA_FILE);
      expect(emulatorSide).toBeDefined();
      expect(workerSide).toEqual(emulatorSide);
    });
  });

  test("shares the emulator's network, since the emulator listens on loopback only", () => {
    const server = readFileSync(repoPath('src', 'emulator', 'server.ts'), 'utf8');
    const loopbackOnly = /\.listen\(\s*[^,()]+,\s*'127\.0\.0\.1'/.test(server);
    const host = new URL(workerEnv().FLEETCMD_ARM_ENDPOINT).hostname;
    if (loopbackOnly) {
      expect(service('worker').network_mode).toBe('service:emulator');
      expect(['127.0.0.1', 'localhost']).toContain(host);
    } else {
      expect(host).toBe('emulator');
    }
  });

  test("mounts the emulator's CA read-only into the worker", () => {
    const workerSide = volumeHolding('worker', workerEnv().FLEETCMD_ARM_CA_FILE);
    const mount = mounts('worker').find((m) => m.source === workerSide?.volume);
    expect(mount?.readOnly).toBe(true);
  });

  test("gives the worker the emulator's Contributor token", () => {
    expect(workerEnv().FLEETCMD_ARM_TOKEN).toBe(CONTRIBUTOR_TOKEN);
  });

  test("gives the worker the emulator's subscription", () => {
    expect(workerEnv().FLEETCMD_SUBSCRIPTION_ID).toBe(emulatorArgs().subscriptionId);
  });

  test('stores full outputs in the Azurite service, on the port it listens on', () => {
    const fields = Object.fromEntries(
      workerEnv()
        .FLEETCMD_STORAGE_CONNECTION_STRING.split(';')
        .filter(Boolean)
        .map((field) => field.split(/=(.*)/s, 2) as [string, string]),
    );
    const blobEndpoint = new URL(fields.BlobEndpoint);
    const azurite = command('azurite');
    expect(blobEndpoint.hostname).toBe('azurite');
    expect(blobEndpoint.port).toBe(azurite[azurite.indexOf('--blobPort') + 1]);
    expect(azurite[azurite.indexOf('--blobHost') + 1]).toBe('0.0.0.0');
    expect(fields.AccountName).toBe(DEV_ACCOUNT_NAME);
  });

  test.each([
    ['temporal', 'postgresql', 'service_healthy'],
    ['temporal-search-attributes', 'temporal', 'service_healthy'],
    ['temporal-ui', 'temporal', 'service_healthy'],
    ['worker', 'temporal', 'service_healthy'],
    ['worker', 'temporal-search-attributes', 'service_completed_successfully'],
    ['worker', 'emulator', 'service_healthy'],
    ['worker', 'azurite', 'service_healthy'],
  ])('starts %s once %s is ready (%s)', (dependent, dependency, condition) => {
    expect(dependencies(dependent)[dependency]).toBe(condition);
  });

  test('gives every service others wait on as healthy a healthcheck', () => {
    const awaited = new Set(
      Object.keys(services).flatMap((name) =>
        Object.entries(dependencies(name))
          .filter(([, condition]) => condition === 'service_healthy')
          .map(([dependency]) => dependency),
      ),
    );
    const without = [...awaited].filter((name) => {
      const check = service(name).healthcheck;
      return !check || check.disable === true || !check.test || check.test.length === 0;
    });
    expect(without).toEqual([]);
  });

  test("probes the emulator's health on the port and CA it serves with", () => {
    const probe = JSON.stringify(service('emulator').healthcheck?.test);
    expect(probe).toContain(`https://127.0.0.1:${emulatorArgs().port}/admin/health`);
    expect(probe).toContain(posix.join(emulatorArgs().dataDir, 'tls', 'ca.pem'));
  });

  test("carries no account key but Azurite's published development key", () => {
    const keys = [...composeText.matchAll(/AccountKey=([^;"'\s]+)/g)].map(([, key]) => key);
    expect(keys.length).toBeGreaterThan(0);
    expect(new Set(keys)).toEqual(new Set([DEV_ACCOUNT_KEY]));
  });

  test("says, where it uses Azurite's development key, that the key is public", () => {
    const lines = composeText.split('\n');
    lines.forEach((line, index) => {
      if (!line.includes('AccountKey=')) return;
      const comment = lines
        .slice(0, index)
        .reverse()
        .find((l) => l.trim().startsWith('#'));
      expect(comment).toMatch(/Azurite/);
      expect(comment).toMatch(/well-known/i);
    });
  });

  test("takes passwords, tokens and keys from the environment, except the emulator's documented token", () => {
    const literal = Object.keys(services).flatMap((name) =>
      Object.entries(environment(name))
        .filter(([key]) => /PASSWORD|PWD|SECRET|TOKEN|KEYS?$/.test(key))
        .filter(([, value]) => !/^\$\{[A-Z0-9_]+(:?-[^}]*)?\}$/.test(value) && value !== CONTRIBUTOR_TOKEN)
        .map(([key]) => `${name}.${key}`),
    );
    expect(literal).toEqual([]);
  });

  test('carries no SAS signature', () => {
    expect(composeText).not.toMatch(/[?&]sig=/);
    expect(composeText).not.toMatch(/SharedAccessSignature=/);
  });
});

// --- Dockerfile ----------------------------------------------------------------

function stageRunning(fragment: string): Stage | undefined {
  return dockerfile.stages.find((stage) => instructionsOf(stage, 'RUN').some((run) => run.args.includes(fragment)));
}

const runtime = (): Stage => dockerfile.stages[dockerfile.stages.length - 1];

describe('Dockerfile', () => {
  test('bases every stage on Node.js 20 with glibc', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of dockerfile.stages) expect(stage.image).toMatch(/^node:20(\.\d+)*-(bookworm|bullseye)(-slim)?$/);
  });

  test('installs every dependency and compiles with `npm run build` in a build stage', () => {
    const build = stageRunning('npm run build');
    expect(build?.name).toBeDefined();
    const runs = instructionsOf(build as Stage, 'RUN').map((r) => r.args);
    expect(runs.some((r) => /\bnpm ci\b/.test(r) && !r.includes('--omit=dev'))).toBe(true);
    expect(runs.findIndex((r) => /\bnpm ci\b/.test(r))).toBeLessThan(runs.findIndex((r) => r.includes('npm run build')));
  });

  test('copies into the build stage what tsconfig.build.json compiles', () => {
    const build = stageRunning('npm run build') as Stage;
    const copied = instructionsOf(build, 'COPY').flatMap((c) => c.args.split(/\s+/).slice(0, -1));
    for (const needed of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', ...tsconfigBuild.include]) {
      expect(copied).toContain(needed);
    }
  });

  test('gives the runtime production dependencies only', () => {
    const deps = stageRunning('--omit=dev');
    expect(deps?.name).toBeDefined();
    const copies = instructionsOf(runtime(), 'COPY').map((c) => c.args);
    expect(copies).toContainEqual(expect.stringMatching(new RegExp(`^--from=${deps?.name} \\S*/node_modules \\S*node_modules$`)));
    expect(copies.filter((c) => c.includes('node_modules'))).toHaveLength(1);
  });

  test('puts the compiled dist/ where the commands run it', () => {
    const build = stageRunning('npm run build') as Stage;
    const workdir = instructionsOf(runtime(), 'WORKDIR').pop()?.args;
    const copy = instructionsOf(runtime(), 'COPY').find((c) => c.args.startsWith(`--from=${build.name} `) && c.args.includes(`/${outDir} `));
    expect(copy).toBeDefined();
    const destination = (copy as { args: string }).args.split(/\s+/).pop() as string;
    expect(posix.resolve(workdir ?? '/', destination)).toBe(posix.join(workdir ?? '/', outDir));
  });

  test('runs as an unprivileged user', () => {
    const stage = runtime();
    const users = instructionsOf(stage, 'USER').map((u) => u.args.split(':')[0]);
    expect(users.length).toBeGreaterThan(0);
    expect(['root', '0']).not.toContain(users[users.length - 1]);
    const lastUser = stage.instructions.map((i) => i.keyword).lastIndexOf('USER');
    expect(stage.instructions.slice(lastUser).some((i) => i.keyword === 'RUN')).toBe(false);
  });

  test('starts the worker by default', () => {
    const cmd = instructionsOf(runtime(), 'CMD').pop();
    const argv = cmd && execForm(cmd);
    expect(argv?.[0]).toBe('node');
    expect(sourceOf(argv?.[1] ?? '')).toBe(`${rootDir}/worker.ts`);
  });
});

// --- .dockerignore ---------------------------------------------------------------

describe('.dockerignore', () => {
  test('keeps node_modules, dist, .git and local state out of the build context', () => {
    for (const entry of ['node_modules', outDir, '.git', '.fleetcmd']) expect(dockerignore).toContain(entry);
  });

  test('keeps key files and .env files out of the build context', () => {
    expect(dockerignore).toEqual(expect.arrayContaining(['**/*.pem', '**/*.key', '**/.env']));
  });

  test('keeps in the build context everything the Dockerfile copies', () => {
    const sources = dockerfile.stages.flatMap((stage) =>
      instructionsOf(stage, 'COPY')
        .filter((c) => !c.args.startsWith('--from='))
        .flatMap((c) => c.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1)),
    );
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      const top = posix.normalize(source).split('/')[0];
      expect({ source, ignored: dockerignore.includes(top) }).toEqual({ source, ignored: false });
      expect({ source, exists: existsSync(repoPath(source)) }).toEqual({ source, exists: true });
    }
  });
});
