import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatProblems, loadRunbookFile, parseRunbook, type ParseRunbookResult } from '../../../src/runbook/load';
import type { Problem } from '../../../src/runbook/problems';

const root = join(__dirname, '../../..');

function problemsOf(result: ParseRunbookResult): Problem[] {
  if (result.ok) throw new Error('accepted');
  return result.problems;
}

const yaml = (lines: string[]) => `${lines.join('\n')}\n`;

const valid = yaml(['name: demo', 'location: westus', 'targets:', '  resourceGroup: rg', 'steps:', '  - name: a', '    script: echo a']);

describe('parseRunbook', () => {
  it('parses YAML', () => {
    const result = parseRunbook(valid);
    expect(result.ok && result.runbook.steps[0].name).toBe('a');
  });

  it('reports a YAML syntax error with its line', () => {
    const text = yaml(['name: demo', 'steps:', '  - name: a', '    script: [echo a', '  - name: b']);
    const [problem] = problemsOf(parseRunbook(text));
    expect(problem.path).toBe('');
    expect(problem.message).toMatch(/^YAML syntax: /);
    expect(problem.line).toBe(5);
  });

  it('reports duplicate YAML keys as a syntax error', () => {
    const [problem] = problemsOf(parseRunbook(yaml(['name: a', 'name: b'])));
    expect(problem).toMatchObject({ message: expect.stringContaining('Map keys must be unique'), line: 2 });
  });

  it('gives each problem the line of the key it is about', () => {
    const text = yaml(['name: demo', 'location: westus', 'targets:', '  resourceGroup: rg', 'steps:', '  - name: drain', '    script: x', '  - name: patch', '    dependsOn: [drian]', '    script: y']);
    expect(problemsOf(parseRunbook(text))).toEqual([{ path: 'steps[1].dependsOn[0]', message: 'unknown step "drian"; did you mean "drain"?', line: 9 }]);
  });

  it('puts a missing nested field on the line of its parent', () => {
    const text = yaml(['name: demo', 'location: westus', 'targets:', '  resourceGroup: rg', 'steps:', '  - script: x']);
    expect(problemsOf(parseRunbook(text))).toEqual([{ path: 'steps[0].name', message: expect.stringContaining('is required'), line: 6 }]);
  });

  it('gives a missing top-level field no line', () => {
    const [problem] = problemsOf(parseRunbook(yaml(['name: demo', 'targets: { resourceGroup: rg }', 'steps: [{ name: a, script: x }]'])));
    expect(problem).toEqual({ path: 'location', message: expect.stringContaining('is required') });
  });

  it('lists problems in file order', () => {
    const text = yaml(['name: demo', 'location: westus', 'targets:', '  resourceGroup: rg', 'steps:', '  - name: a', '    dependsOn: [zz]', '    script: x', 'rollout:', '  waves: [0]']);
    expect(problemsOf(parseRunbook(text)).map((p) => p.line)).toEqual([7, 10]);
  });

  it('supports YAML anchors and merge keys for shared step settings', () => {
    const text = yaml([
      'name: demo',
      'location: westus',
      'targets: { resourceGroup: rg }',
      'x-defaults: &defaults { timeoutInSeconds: 60 }',
      'steps:',
      '  - { <<: *defaults, name: a, script: x }',
    ]);
    // x-defaults is itself an unknown field: anchors live inside known fields.
    expect(problemsOf(parseRunbook(text)).map((p) => p.path)).toEqual(['x-defaults']);
    const inline = yaml(['name: demo', 'location: westus', 'targets: { resourceGroup: rg }', 'steps:', '  - &a { name: a, script: x, timeoutInSeconds: 60 }', '  - { <<: *a, name: b }']);
    const result = parseRunbook(inline);
    expect(result.ok && result.runbook.steps[1].timeoutInSeconds).toBe(60);
  });

  it('parses JSON, chosen by the file name', () => {
    const json = JSON.stringify({ name: 'demo', location: 'westus', targets: { resourceGroup: 'rg' }, steps: [{ name: 'a', script: 'x' }] });
    const result = parseRunbook(json, { filename: 'runbook.json' });
    expect(result.ok && result.runbook.name).toBe('demo');
  });

  it('recognises JSON by its first character when there is no file name', () => {
    const [problem] = problemsOf(parseRunbook('{ "name": "demo", }'));
    expect(problem.message).toMatch(/^JSON syntax: /);
  });

  it('reports a JSON syntax error with its line, even where JSON.parse gives no position', () => {
    const [problem] = problemsOf(parseRunbook('{\n  "name": "demo",\n  "location": \n}\n', { format: 'json' }));
    expect(problem).toEqual({ path: '', message: expect.stringMatching(/^JSON syntax: expected a value .*found "}"$/), line: 4 });
  });

  it('names a trailing comma in JSON', () => {
    const [problem] = problemsOf(parseRunbook('{\n  "name": "demo",\n}', { format: 'json' }));
    expect(problem).toEqual({ path: '', message: expect.stringContaining('JSON allows no trailing comma'), line: 3 });
  });

  it('reports duplicate JSON keys, which JSON.parse would silently merge', () => {
    const [problem] = problemsOf(parseRunbook('{\n  "name": "a",\n  "name": "b"\n}', { format: 'json' }));
    expect(problem).toMatchObject({ message: expect.stringContaining('unique'), line: 3 });
  });

  it('gives JSON problems the line of their key', () => {
    const json = JSON.stringify({ name: 'demo', location: 'westus', targets: { resourceGroup: 'rg' }, steps: [{ name: 'a', script: 'x', timeoutInSeconds: -1 }] }, null, 2);
    expect(problemsOf(parseRunbook(json, { format: 'json' }))).toEqual([
      { path: 'steps[0].timeoutInSeconds', message: expect.stringContaining('negative'), line: 11 },
    ]);
  });

  it('treats YAML forced as JSON as a JSON syntax error', () => {
    expect(problemsOf(parseRunbook(valid, { format: 'json' }))[0].message).toMatch(/^JSON syntax/);
  });

  it('says so when the file is empty', () => {
    expect(problemsOf(parseRunbook('# nothing here\n'))[0].message).toContain('the file is empty');
  });

  it('imports an ARM template given as text', () => {
    const template = readExample('examples/arm/two-run-commands.json');
    const result = parseRunbook(template, { filename: 'two.json', arm: { parameters: { vmName: 'web-001', location: 'westus' } } });
    expect(result.ok && result.runbook.steps.map((s) => s.name)).toEqual(['firstRunCommand', 'secondRunCommand']);
    expect(result.ok && result.runbook.name).toBe('two');
  });
});

describe('formatProblems', () => {
  it('writes one problem per line as file:line path: message', () => {
    const text = formatProblems(
      [
        { path: 'steps[2].dependsOn[0]', message: 'unknown step "pach"', line: 14 },
        { path: 'location', message: 'is required' },
        { path: '', message: 'YAML syntax: bad', line: 3 },
      ],
      'runbook.yaml',
    );
    expect(text.split('\n')).toEqual([
      'runbook.yaml:3 YAML syntax: bad',
      'runbook.yaml:14 steps[2].dependsOn[0]: unknown step "pach"',
      'runbook.yaml: location: is required',
    ]);
  });
});

describe('loadRunbookFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetcmd-spec-'));

  it('reads and parses a runbook file', async () => {
    const file = join(dir, 'r.yaml');
    writeFileSync(file, valid);
    const result = await loadRunbookFile(file);
    expect(result.ok).toBe(true);
  });

  it('reports a file that cannot be read as a problem', async () => {
    const [problem] = problemsOf(await loadRunbookFile(join(dir, 'missing.yaml')));
    expect(problem.message).toContain('cannot read the file');
  });

  it('loads the DESIGN.md example runbook', async () => {
    const result = await loadRunbookFile(join(root, 'examples/patch-rollout.yaml'));
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.runbook.steps.map((s) => [s.name, s.dependsOn])).toEqual([['drain', []], ['patch', ['drain']], ['start', ['patch']]]);
    expect(result.runbook.rollout).toEqual({ waves: [1, '10%', '100%'], maxConcurrency: '20%', maxErrors: 3, approval: 'afterFirstWave' });
    expect(result.runbook.onFailure.map((s) => s.name)).toEqual(['rollback']);
  });

  it('imports an ARM template with the parameters file beside it', async () => {
    const result = await loadRunbookFile(join(root, 'examples/arm/two-run-commands.json'));
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.runbook.targets.vms).toEqual(['web-001']);
    expect(result.runbook.location).toBe('westus');
  });

  it('lets explicit ARM parameter values win over the parameters file', async () => {
    const result = await loadRunbookFile(join(root, 'examples/arm/two-run-commands.json'), { arm: { parameters: { vmName: 'db-004' } } });
    expect(result.ok && result.runbook.targets.vms).toEqual(['db-004']);
  });

  it('uses a parameters file named explicitly', async () => {
    const file = join(dir, 'p.json');
    writeFileSync(file, JSON.stringify({ parameters: { vmName: { value: 'cache-005' }, location: { value: 'eastus' } } }));
    const result = await loadRunbookFile(join(root, 'examples/arm/two-run-commands.json'), { arm: { parametersFile: file } });
    expect(result.ok && [result.runbook.targets.vms, result.runbook.location]).toEqual([['cache-005'], 'eastus']);
  });

  it('reports a malformed parameters file', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ parameters: { vmName: 'no value wrapper' } }));
    const [problem] = problemsOf(await loadRunbookFile(join(root, 'examples/arm/two-run-commands.json'), { arm: { parametersFile: file } }));
    expect(problem.message).toContain('parameters.vmName must be an object with a "value"');
  });
});

function readExample(path: string): string {
  return readFileSync(join(root, path), 'utf8');
}
