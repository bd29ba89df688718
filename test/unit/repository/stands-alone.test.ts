import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * A user's clone has nothing beside it: no file of the project may read or
 * link a folder next to the repository, or a path of one particular machine.
 * What a test needs lives under test/fixtures with its source named.
 */

const root = resolve(__dirname, '..', '..', '..');

/** What a clone is made of: the folders and files a user gets. */
const SCANNED_FOLDERS = ['src', 'test', 'scripts', 'bench', 'docs', 'examples', 'bin', '.ci'];
const SCANNED_FILES = ['README.md', 'BENCHMARKS.md', 'package.json', 'Dockerfile', 'docker-compose.yml', 'jest.config.js', 'eslint.config.js', 'tsconfig.json', 'tsconfig.build.json'];
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', '.git', '.fleetcmd', 'coverage']);

/**
 * Recorded sessions and documentation excerpts are copied verbatim from Azure:
 * the paths in them are paths on Azure's machines (a VM user's home folder),
 * not references of ours. A folder next to the repository is still refused there.
 */
const VERBATIM_THIRD_PARTY = [/^test\/fixtures\/azure-recordings\/[^/]+\.yaml$/, /^test\/fixtures\/azure-docs\/(?!README\.md$)[^/]+$/];

// Spelt in pieces so that this file does not match itself.
const SIBLING_FOLDER = ['..', 'shared'].join('/');
const MACHINE_PATH = new RegExp(`(^|[^\\w.~-])/(${['work', 'root', 'home', 'Users', 'mnt', 'tmp'].join('|')})/`);

interface Finding {
  file: string;
  line: number;
  text: string;
}

function walk(folder: string, found: string[]): string[] {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (SKIPPED_FOLDERS.has(entry.name)) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) walk(path, found);
    else if (entry.isFile()) found.push(path);
  }
  return found;
}

function isText(content: Buffer): boolean {
  return !content.subarray(0, 8000).includes(0);
}

const repoFile = (path: string): string => relative(root, path).split(sep).join('/');

const scanned = [
  ...SCANNED_FOLDERS.filter((folder) => existsSync(join(root, folder))).flatMap((folder) => walk(join(root, folder), [])),
  ...SCANNED_FILES.map((file) => join(root, file)).filter((file) => existsSync(file)),
]
  .map((path) => ({ path, file: repoFile(path), content: readFileSync(path) }))
  .filter(({ content }) => isText(content))
  .map(({ path, file, content }) => ({ path, file, lines: content.toString('utf8').split('\n') }));

/** Every line naming a folder beside the repository, or (outside verbatim third-party data) an absolute machine path. */
function outsideReferences(file: string, lines: string[]): Finding[] {
  const verbatim = VERBATIM_THIRD_PARTY.some((pattern) => pattern.test(file));
  return lines.flatMap((text, index) =>
    text.includes(SIBLING_FOLDER) || (!verbatim && MACHINE_PATH.test(text)) ? [{ file, line: index + 1, text: text.trim() }] : [],
  );
}

/** `join(__dirname, '..', ...)` / `resolve(__dirname, '../..')` with literal segments that lead out of the repository. */
function pathsLeavingRoot(path: string, lines: string[]): Finding[] {
  const call = /\b(?:join|resolve)\(\s*__dirname((?:\s*,\s*'[^']*')+)\s*\)/g;
  return lines.flatMap((text, index) =>
    [...text.matchAll(call)].flatMap((match) => {
      const segments = [...match[1].matchAll(/'([^']*)'/g)].map((segment) => segment[1]);
      const target = resolve(dirname(path), ...segments);
      return target === root || target.startsWith(root + sep) ? [] : [{ file: repoFile(path), line: index + 1, text: text.trim() }];
    }),
  );
}

/** Markdown links `[text](target)` that are neither URLs nor anchors. */
function relativeLinks(lines: string[]): { line: number; target: string }[] {
  return lines.flatMap((text, index) =>
    [...text.matchAll(/\]\(([^)\s]+)\)/g)]
      .map((match) => match[1])
      .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('#'))
      .map((target) => ({ line: index + 1, target: target.split('#')[0] })),
  );
}

const show = (findings: Finding[]): string[] => findings.map(({ file, line, text }) => `${file}:${line}: ${text}`);

describe('the scan', () => {
  it('reads every part of the repository a user gets', () => {
    const files = scanned.map(({ file }) => file);
    expect(files.length).toBeGreaterThan(200);
    const empty = ['src', 'test', 'scripts', 'bench', 'docs', 'examples', 'bin'].filter((folder) => !files.some((file) => file.startsWith(`${folder}/`)));
    expect(empty).toEqual([]);
    for (const file of ['README.md', 'package.json', 'docs/design.md', 'src/worker.ts', 'scripts/test.js', 'test/integration/emulator/conformance.test.ts']) {
      expect(files).toContain(file);
    }
  });

  it('finds a folder beside the repository and machine paths, naming file and line', () => {
    const lines = ['fine', `see ${SIBLING_FOLDER}/DESIGN.md`, `const seed = '${['', 'work', 'shared', 'seeds'].join('/')}';`, `cd ${['', 'home', 'me'].join('/')}/x`, '~/.cache/fleetcmd is fine'];
    expect(show(outsideReferences('src/x.ts', lines))).toEqual([`src/x.ts:2: ${lines[1]}`, `src/x.ts:3: ${lines[2]}`, `src/x.ts:4: ${lines[3]}`]);
  });

  it('lets verbatim Azure data keep paths on Azure machines, but not a folder beside the repository', () => {
    const lines = [`"path": "${['', 'home', 'user-000004', '.ssh'].join('/')}"`, `${SIBLING_FOLDER}/azure`];
    expect(outsideReferences('test/fixtures/azure-recordings/x.yaml', lines).map((f) => f.line)).toEqual([2]);
    expect(outsideReferences('test/fixtures/azure-recordings/README.md', lines).map((f) => f.line)).toEqual([1, 2]);
  });

  it('finds a path built from __dirname that leaves the repository', () => {
    const file = join(root, 'test', 'integration', 'emulator', 'x.test.ts');
    const call = (name: string, ...segments: string[]): string => `${name}(__dirname, ${segments.map((s) => `'${s}'`).join(', ')})`;
    const lines = [`const inside = ${call('join', '..', '..', 'fixtures')};`, `const outside = ${call('join', '..', '..', '..', '..', 'shared', 'azure')};`, `const up = ${call('resolve', '../../../..')};`];
    expect(pathsLeavingRoot(file, lines).map((f) => f.line)).toEqual([2, 3]);
  });
});

describe('the repository stands alone', () => {
  it('no file names a folder beside the repository or an absolute path of a machine', () => {
    expect(show(scanned.flatMap(({ file, lines }) => outsideReferences(file, lines)))).toEqual([]);
  });

  it('no code builds a path from __dirname that leads out of the repository', () => {
    const code = scanned.filter(({ file }) => /\.(ts|js)$/.test(file));
    expect(code.length).toBeGreaterThan(150);
    expect(show(code.flatMap(({ path, lines }) => pathsLeavingRoot(path, lines)))).toEqual([]);
  });

  it('every relative link in its Markdown points at a file or folder inside it that exists', () => {
    const markdown = scanned.filter(({ file }) => file.endsWith('.md'));
    expect(markdown.length).toBeGreaterThan(5);
    const broken = markdown.flatMap(({ path, file, lines }) =>
      relativeLinks(lines)
        .filter(({ target }) => {
          const resolved = resolve(dirname(path), target);
          return !(resolved === root || resolved.startsWith(root + sep)) || !existsSync(resolved);
        })
        .map(({ line, target }) => `${file}:${line}: ${target}`),
    );
    expect(broken).toEqual([]);
  });

  it('every npm script that runs a file of the repository names one that exists', () => {
    const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const entries = Object.entries(scripts).flatMap(([name, command]) =>
      [...command.matchAll(/\bnode\s+(\S+\.js)\b/g)].map((match) => ({ name, file: match[1] })),
    );
    expect(entries.length).toBeGreaterThan(5);
    expect(entries.filter(({ file }) => !existsSync(join(root, file)) || !statSync(join(root, file)).isFile())).toEqual([]);
  });
});
