import type { Problem } from '../../../src/runbook/problems';
import type { Runbook } from '../../../src/runbook/runbook';
import { validateRunbook } from '../../../src/runbook/validate';

type Doc = Record<string, unknown>;

function runbook(overrides: Doc = {}): Doc {
  return {
    name: 'demo',
    location: 'westus',
    targets: { resourceGroup: 'fleet-rg-01' },
    steps: [{ name: 'a', script: 'echo a' }],
    ...overrides,
  };
}

function withSteps(...steps: Doc[]): Doc {
  return runbook({ steps });
}

function accepted(doc: Doc): Runbook {
  const result = validateRunbook(doc);
  if (!result.ok) throw new Error(`rejected: ${JSON.stringify(result.problems)}`);
  return result.runbook;
}

function problems(doc: Doc): Problem[] {
  const result = validateRunbook(doc);
  if (result.ok) throw new Error('accepted');
  return result.problems;
}

function only(doc: Doc): Problem {
  const found = problems(doc);
  expect(found).toHaveLength(1);
  return found[0];
}

describe('a valid runbook', () => {
  it('gets the documented defaults', () => {
    const parsed = accepted(runbook());
    expect(parsed.rollout).toEqual({ waves: ['100%'], maxConcurrency: 10, maxErrors: 0, approval: 'none' });
    expect(parsed.cleanup).toBe('afterCollect');
    expect(parsed.onFailure).toEqual([]);
    expect(parsed.steps[0]).toEqual({
      name: 'a',
      dependsOn: [],
      source: { script: 'echo a' },
      parameters: [],
      protectedParameters: [],
      asyncExecution: false,
      treatFailureAsDeploymentFailure: false,
    });
  });

  it('joins a script given as lines with newlines', () => {
    expect(accepted(withSteps({ name: 'a', script: ['echo 1', 'echo 2'] })).steps[0].source).toEqual({ script: 'echo 1\necho 2' });
  });

  it('keeps scriptUri and its managed identity under source, as Azure nests them', () => {
    const step = accepted(withSteps({ name: 'a', scriptUri: 'https://x.blob.core.windows.net/s/a.sh', scriptUriManagedIdentity: { objectId: 'o' } })).steps[0];
    expect(step.source).toEqual({ scriptUri: 'https://x.blob.core.windows.net/s/a.sh', scriptUriManagedIdentity: { objectId: 'o' } });
  });

  it('takes a single dependsOn name as a list of one', () => {
    const parsed = accepted(withSteps({ name: 'a', script: 'x' }, { name: 'b', dependsOn: 'a', script: 'y' }));
    expect(parsed.steps[1].dependsOn).toEqual(['a']);
  });

  it('takes a single onFailure step as a list of one', () => {
    expect(accepted(runbook({ onFailure: { name: 'undo', script: 'x' } })).onFailure.map((s) => s.name)).toEqual(['undo']);
  });

  it('turns targets.resourceGroup into resourceGroups', () => {
    expect(accepted(runbook()).targets).toEqual({ resourceGroups: ['fleet-rg-01'], tags: {}, vms: [], scaleSets: [] });
  });

  it('takes SSM-style numeric strings as counts', () => {
    expect(accepted(runbook({ rollout: { maxConcurrency: '10', maxErrors: '2' } })).rollout).toMatchObject({ maxConcurrency: 10, maxErrors: 2 });
  });

  it('accepts fractional percentages', () => {
    expect(accepted(runbook({ rollout: { waves: ['12.5%'] } })).rollout.waves).toEqual(['12.5%']);
  });

  it('accepts 0 and "0%" for maxErrors', () => {
    expect(accepted(runbook({ rollout: { maxErrors: '0%' } })).rollout.maxErrors).toBe('0%');
    expect(accepted(runbook({ rollout: { maxErrors: 0 } })).rollout.maxErrors).toBe(0);
  });

  it('accepts a timeout of 0 (no timeout)', () => {
    expect(accepted(withSteps({ name: 'a', script: 'x', timeoutInSeconds: 0 })).steps[0].timeoutInSeconds).toBe(0);
  });

  it('accepts positional parameters (empty names), several of them', () => {
    const params = [{ name: '', value: '-v' }, { name: '', value: '-x' }];
    expect(accepted(withSteps({ name: 'a', script: 'x', parameters: params })).steps[0].parameters).toEqual(params);
  });

  it('accepts VMs by name, resourceGroup/name and full resource id', () => {
    const vms = ['web-001', 'rg/web-002', '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/web-003'];
    expect(accepted(runbook({ targets: { vms } })).targets.vms).toEqual(vms);
  });

  it('accepts step names of 1 and of 80 characters, and ending with "_"', () => {
    for (const name of ['a', 'a'.repeat(80), 'patch_', 'v1.2-fix']) accepted(withSteps({ name, script: 'x' }));
  });
});

describe('validation reports', () => {
  it('every problem at once, not only the first', () => {
    const found = problems({
      name: 'demo',
      targets: { resourceGroup: 'rg' },
      steps: [{ name: 'a', script: 'x', timeoutInSeconds: -1 }, { name: 'b', dependsOn: ['nope'], script: 'y' }],
      rollout: { waves: ['150%'] },
    });
    expect(found.map((p) => p.path).sort()).toEqual(['location', 'rollout.waves[0]', 'steps[0].timeoutInSeconds', 'steps[1].dependsOn[0]']);
  });

  it('cross-field problems even when the schema fails elsewhere', () => {
    const found = problems(withSteps({ name: 'a', script: 'x', timeoutInSeconds: 'soon' }, { name: 'a', script: 'y' }));
    expect(found.map((p) => p.path)).toEqual(['steps[0].timeoutInSeconds', 'steps[1].name']);
  });

  it('a missing location as required, with an example', () => {
    const { location: _location, ...doc } = runbook();
    expect(only(doc)).toEqual({ path: 'location', message: expect.stringContaining('is required: the Azure region') });
  });

  it('an unknown dependsOn with a did-you-mean', () => {
    const problem = only(withSteps({ name: 'drain', script: 'x' }, { name: 'patch', script: 'y' }, { name: 'start', dependsOn: ['pach'], script: 'z' }));
    expect(problem).toEqual({ path: 'steps[2].dependsOn[0]', message: 'unknown step "pach"; did you mean "patch"?' });
  });

  it('an unknown dependsOn without a suggestion when nothing is close', () => {
    expect(only(withSteps({ name: 'drain', script: 'x' }, { name: 'b', dependsOn: ['zzzzzz'], script: 'y' })).message).toBe('unknown step "zzzzzz"');
  });

  it('a dependsOn given as one string at the dependsOn path', () => {
    expect(only(withSteps({ name: 'a', dependsOn: 'nope', script: 'x' })).path).toBe('steps[0].dependsOn');
  });

  it('duplicate step names', () => {
    expect(only(withSteps({ name: 'a', script: 'x' }, { name: 'a', script: 'y' }))).toEqual({
      path: 'steps[1].name',
      message: expect.stringContaining('duplicate step name "a"'),
    });
  });

  it('a step name used in both steps and onFailure', () => {
    expect(only(runbook({ onFailure: [{ name: 'a', script: 'undo' }] }))).toEqual({
      path: 'onFailure[0].name',
      message: expect.stringContaining('duplicate step name "a"'),
    });
  });

  it('step names that differ only in letter case', () => {
    expect(only(withSteps({ name: 'Patch', script: 'x' }, { name: 'patch', script: 'y' })).message).toContain('only in letter case');
  });

  it('a dependency cycle, printed from its first-listed step', () => {
    const problem = only(
      withSteps({ name: 'a', dependsOn: ['b'], script: '1' }, { name: 'b', dependsOn: ['c'], script: '2' }, { name: 'c', dependsOn: ['a'], script: '3' }),
    );
    expect(problem).toEqual({ path: 'steps[0].dependsOn', message: 'dependency cycle: a -> b -> c -> a' });
  });

  it('each separate cycle once', () => {
    const found = problems(
      withSteps(
        { name: 'a', dependsOn: ['b'], script: '1' },
        { name: 'b', dependsOn: ['a'], script: '2' },
        { name: 'c', dependsOn: ['d'], script: '3' },
        { name: 'd', dependsOn: ['c'], script: '4' },
      ),
    );
    expect(found.map((p) => p.message)).toEqual(['dependency cycle: a -> b -> a', 'dependency cycle: c -> d -> c']);
  });

  it('a cycle inside onFailure', () => {
    const problem = only(runbook({ onFailure: [{ name: 'x', dependsOn: ['y'], script: '1' }, { name: 'y', dependsOn: ['x'], script: '2' }] }));
    expect(problem).toEqual({ path: 'onFailure[0].dependsOn', message: 'dependency cycle: x -> y -> x' });
  });

  it('a self-dependency on its own, not as a cycle', () => {
    expect(only(withSteps({ name: 'a', dependsOn: ['a'], script: 'x' }))).toEqual({ path: 'steps[0].dependsOn[0]', message: 'step "a" depends on itself' });
  });

  it('the same dependency listed twice', () => {
    expect(only(withSteps({ name: 'a', script: 'x' }, { name: 'b', dependsOn: ['a', 'a'], script: 'y' }))).toEqual({
      path: 'steps[1].dependsOn[1]',
      message: 'lists "a" twice',
    });
  });

  it('a main step depending on an onFailure step', () => {
    const problem = only(runbook({ steps: [{ name: 'a', dependsOn: ['undo'], script: 'x' }], onFailure: [{ name: 'undo', script: 'y' }] }));
    expect(problem).toEqual({ path: 'steps[0].dependsOn[0]', message: '"undo" is an onFailure step; steps can only depend on other steps' });
  });

  it('a step with no script, scriptUri or commandId', () => {
    expect(only(withSteps({ name: 'a' }))).toEqual({ path: 'steps[0]', message: 'needs exactly one of script, scriptUri or commandId; it has none' });
  });

  it('a step with more than one source', () => {
    expect(only(withSteps({ name: 'a', script: 'x', scriptUri: 'https://h/s.sh', commandId: 'RunShellScript' })).message).toBe(
      'has script and scriptUri and commandId; give exactly one of script, scriptUri or commandId',
    );
  });

  it('an empty script', () => {
    expect(only(withSteps({ name: 'a', script: '  ' }))).toEqual({ path: 'steps[0].script', message: expect.stringContaining('is empty') });
  });

  it('scriptUriManagedIdentity without scriptUri', () => {
    expect(only(withSteps({ name: 'a', script: 'x', scriptUriManagedIdentity: {} })).path).toBe('steps[0].scriptUriManagedIdentity');
  });

  it('a managed identity with both clientId and objectId', () => {
    const problem = only(withSteps({ name: 'a', scriptUri: 'https://h/s.sh', scriptUriManagedIdentity: { clientId: 'c', objectId: 'o' } }));
    expect(problem.message).toContain('not both');
  });

  it.each([
    ['a'.repeat(81), 'is 81 characters long'],
    ['patch openssl', 'contains " "'],
    ['patch/1', 'contains "/"'],
    ['.patch', 'must start with a letter or digit'],
    ['_patch', 'must start with a letter or digit'],
    ['patch-', 'must end with a letter, digit or "_"'],
    ['', 'is empty'],
  ])('a step name %j that breaks the run command name rule: %s', (name, fragment) => {
    expect(only(withSteps({ name, script: 'x' }))).toEqual({ path: 'steps[0].name', message: expect.stringContaining(fragment) });
  });

  it.each([
    [-5, '-5 is negative'],
    [1.5, '1.5 is not a whole number'],
    [2_147_483_648, "more than Azure's largest timeout"],
    ['300', 'must be a whole number of seconds'],
  ])('a timeoutInSeconds of %j: %s', (timeoutInSeconds, fragment) => {
    expect(only(withSteps({ name: 'a', script: 'x', timeoutInSeconds }))).toEqual({
      path: 'steps[0].timeoutInSeconds',
      message: expect.stringContaining(fragment),
    });
  });

  it('a parameter without a name key', () => {
    expect(only(withSteps({ name: 'a', script: 'x', parameters: [{ value: 'v' }] }))).toEqual({
      path: 'steps[0].parameters[0].name',
      message: 'is required (use "" for a positional parameter)',
    });
  });

  it('a parameter value that is not a string, with how to quote it', () => {
    expect(only(withSteps({ name: 'a', script: 'x', parameters: [{ name: 'N', value: 3 }] }))).toEqual({
      path: 'steps[0].parameters[0].value',
      message: 'must be a string; quote it: "3"',
    });
  });

  it('parameters that are not a list', () => {
    expect(only(withSteps({ name: 'a', script: 'x', parameters: { A: '1' } }))).toEqual({ path: 'steps[0].parameters', message: 'must be a list, not a mapping' });
  });

  it('a parameter name repeated across parameters and protectedParameters', () => {
    const problem = only(withSteps({ name: 'a', script: 'x', parameters: [{ name: 'T', value: '1' }], protectedParameters: [{ name: 'T', value: '2' }] }));
    expect(problem.path).toBe('steps[0].protectedParameters[0].name');
    expect(problem.message).toContain('repeats parameter "T"');
  });

  it('runAsPassword without runAsUser', () => {
    expect(only(withSteps({ name: 'a', script: 'x', runAsPassword: 'p' })).path).toBe('steps[0].runAsPassword');
  });

  it('a scriptUri that is not http(s)', () => {
    expect(only(withSteps({ name: 'a', scriptUri: 'file:///etc/passwd' }))).toEqual({
      path: 'steps[0].scriptUri',
      message: expect.stringContaining('is not an http(s) URL'),
    });
  });

  it.each(['outputBlobUri', 'errorBlobUri'])('%s as set by fleetcmd, not the user', (key) => {
    expect(only(withSteps({ name: 'a', script: 'x', [key]: 'https://a/b' }))).toEqual({
      path: `steps[0].${key}`,
      message: expect.stringContaining('is set by fleetcmd'),
    });
  });

  it('an unknown key with a did-you-mean', () => {
    expect(only(withSteps({ name: 'a', script: 'x', dependOn: [] }))).toEqual({ path: 'steps[0].dependOn', message: 'unknown field; did you mean "dependsOn"?' });
  });

  it('an unknown key with nothing close by listing the fields', () => {
    expect(only(runbook({ rollout: { colour: 'blue' } })).message).toBe('unknown field; rollout takes waves, maxConcurrency, maxErrors, approval');
  });

  it.each([
    [['150%'], 'rollout.waves[0]', '150% is more than the whole fleet'],
    [['abc'], 'rollout.waves[0]', '"abc" is neither a count nor a percentage'],
    [['10 %'], 'rollout.waves[0]', 'is neither a count nor a percentage'],
    [[], 'rollout.waves', 'is empty'],
    [[-3], 'rollout.waves[0]', '-3 is negative'],
    [[0], 'rollout.waves[0]', 'would never start anything'],
    [['0%'], 'rollout.waves[0]', 'would never start anything'],
    [[1.5], 'rollout.waves[0]', '1.5 is not a whole number'],
    ['100%', 'rollout.waves', 'must be a list of wave sizes'],
  ])('waves %j at %s: %s', (waves, path, fragment) => {
    expect(only(runbook({ rollout: { waves } }))).toEqual({ path, message: expect.stringContaining(fragment) });
  });

  it('waves listed after a "100%" wave, which never run', () => {
    const found = problems(runbook({ rollout: { waves: ['100%', 1, '5%'] } }));
    expect(found.map((p) => p.path)).toEqual(['rollout.waves[1]', 'rollout.waves[2]']);
    expect(found[0].message).toContain('never runs');
  });

  it('a maxConcurrency of 0', () => {
    expect(only(runbook({ rollout: { maxConcurrency: 0 } }))).toEqual({ path: 'rollout.maxConcurrency', message: expect.stringContaining('would never start anything') });
  });

  it('a maxErrors percentage over 100', () => {
    expect(only(runbook({ rollout: { maxErrors: '101%' } })).path).toBe('rollout.maxErrors');
  });

  it('an approval that is not one of the three, with a did-you-mean', () => {
    expect(only(runbook({ rollout: { approval: 'betweenwaves' } })).message).toBe(
      'must be one of "none", "afterFirstWave", "betweenWaves", not "betweenwaves"; did you mean "betweenWaves"?',
    );
  });

  it('an output container carrying a SAS', () => {
    expect(only(runbook({ output: { container: 'https://a.blob.core.windows.net/c?sig=x' } })).path).toBe('output.container');
  });

  it.each([
    [{ keepLast: 0 }, 'cleanup.keepLast'],
    [{ keepLast: 25 }, 'cleanup.keepLast'],
    [{ keepLast: 2.5 }, 'cleanup.keepLast'],
    [{}, 'cleanup.keepLast'],
    [{ keepLast: 1, extra: 1 }, 'cleanup.extra'],
    ['never', 'cleanup'],
  ])('a cleanup of %j at %s', (cleanup, path) => {
    expect(only(runbook({ cleanup })).path).toBe(path);
  });

  it('targets that select nothing', () => {
    expect(only(runbook({ targets: { subscriptionId: '00000000-0000-0000-0000-000000000000' } }))).toEqual({
      path: 'targets',
      message: expect.stringContaining('selects no machines'),
    });
  });

  it('an empty selector list', () => {
    expect(problems(runbook({ targets: { vms: [] } })).map((p) => p.path)).toEqual(['targets.vms', 'targets']);
  });

  it('both resourceGroup and resourceGroups', () => {
    expect(only(runbook({ targets: { resourceGroup: 'a', resourceGroups: ['b'] } })).path).toBe('targets.resourceGroups');
  });

  it('a VM reference that is none of name, rg/name or resource id', () => {
    expect(only(runbook({ targets: { vms: ['a/b/c'] } })).path).toBe('targets.vms[0]');
  });

  it('a subscriptionId that is not a GUID', () => {
    expect(only(runbook({ targets: { subscriptionId: 'sub', resourceGroup: 'rg' } })).path).toBe('targets.subscriptionId');
  });

  it('a tag value that is not a string', () => {
    expect(only(runbook({ targets: { tags: { tier: true } } }))).toEqual({ path: 'targets.tags.tier', message: 'tag values are strings; quote it: "true"' });
  });

  it('a scale set without a resource group when targets name several', () => {
    expect(only(runbook({ targets: { resourceGroups: ['a', 'b'], scaleSets: [{ name: 'ss' }] } })).path).toBe('targets.scaleSets[0].resourceGroup');
  });

  it('problems of a single onFailure step at onFailure, where they were written', () => {
    expect(only(runbook({ onFailure: { name: 'undo' } }))).toEqual({ path: 'onFailure', message: expect.stringContaining('needs exactly one of') });
  });

  it('a document that is not a mapping', () => {
    expect(only(['a'] as unknown as Doc)).toEqual({ path: '', message: 'must be a mapping (key: value), not a list' });
  });
});

describe('secrets in problems', () => {
  const secret = 987654;

  it.each([
    ['a protected parameter value', { protectedParameters: [{ name: 'PIN', value: secret }] }],
    ['protectedParameters that are not a list', { protectedParameters: String(secret) }],
    ['a runAsPassword that is not a string', { runAsUser: 'u', runAsPassword: secret }],
  ])('are never repeated back: %s', (_what, fields) => {
    const found = problems(withSteps({ name: 'a', script: 'x', ...fields }));
    expect(found).toHaveLength(1);
    expect(JSON.stringify(found)).not.toContain(String(secret));
  });
});
