import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, fnv1a64Hex } from '../../../src/runbook/hash';
import { MAX_CONCURRENCY, cutWaves, findCycles, resolveConcurrency, resolveCount, runCommandName, specHash, topologicalOrder } from '../../../src/runbook/plan';
import type { CountOrPercent, Step } from '../../../src/runbook/runbook';
import { runCommandNameProblem } from '../../../src/runbook/runbook';

describe('resolveConcurrency', () => {
  it('is at least 1, so a tiny fleet still starts', () => {
    expect(resolveConcurrency('10%', 0)).toEqual({ count: 1, capped: false });
  });

  it('takes counts and percentages up to MAX_CONCURRENCY (1000) as they are', () => {
    expect(MAX_CONCURRENCY).toBe(1000);
    expect(resolveConcurrency(1000, 5000)).toEqual({ count: 1000, capped: false });
    expect(resolveConcurrency('20%', 5000)).toEqual({ count: 1000, capped: false });
  });

  it('caps a percentage that comes to more than 1000, and says so', () => {
    expect(resolveConcurrency('21%', 5000)).toEqual({ count: 1000, capped: true });
    expect(resolveConcurrency('100%', 1001)).toEqual({ count: 1000, capped: true });
  });
});

describe('resolveCount', () => {
  it('takes a count as it is', () => {
    expect(resolveCount(7, 200)).toBe(7);
  });

  it('caps a count at the number of targets', () => {
    expect(resolveCount(50, 3)).toBe(3);
  });

  it('takes a percentage of the total', () => {
    expect(resolveCount('10%', 200)).toBe(20);
  });

  it('rounds a percentage up, so "10%" of 3 targets is 1', () => {
    expect(resolveCount('10%', 3)).toBe(1);
    expect(resolveCount('10%', 15)).toBe(2);
  });

  it('resolves a tiny percentage of one target to that target', () => {
    expect(resolveCount('1%', 1)).toBe(1);
  });

  it('resolves anything over no targets to 0', () => {
    expect(resolveCount('50%', 0)).toBe(0);
    expect(resolveCount(5, 0)).toBe(0);
  });

  it('resolves "0%" to 0', () => {
    expect(resolveCount('0%', 100)).toBe(0);
  });

  it('computes on integers, so "7%" of 100 is exactly 7', () => {
    expect(resolveCount('7%', 100)).toBe(7);
    expect(resolveCount('29%', 100)).toBe(29);
  });

  it('rounds fractional percentages up', () => {
    expect(resolveCount('12.5%', 8)).toBe(1);
    expect(resolveCount('12.5%', 9)).toBe(2);
  });

  it('rejects what validation would have rejected', () => {
    expect(() => resolveCount('150%', 10)).toThrow(RangeError);
    expect(() => resolveCount(-1, 10)).toThrow(RangeError);
    expect(() => resolveCount('abc' as CountOrPercent, 10)).toThrow(RangeError);
  });
});

describe('cutWaves', () => {
  it('cuts [1, "10%", "100%"] over 200 targets into a canary, 10% of the fleet, and the rest', () => {
    expect(cutWaves(200, [1, '10%', '100%'])).toEqual([1, 20, 179]);
  });

  it('gives one target one wave', () => {
    expect(cutWaves(1, [1, '10%', '100%'])).toEqual([1]);
  });

  it('gives no targets no waves', () => {
    expect(cutWaves(0, [1, '10%', '100%'])).toEqual([]);
  });

  it('cuts 3 targets with ["10%"] into three waves of one (10% rounds up to 1, and repeats)', () => {
    expect(cutWaves(3, ['10%'])).toEqual([1, 1, 1]);
  });

  it('repeats the last entry until the fleet is covered, like Ansible serial', () => {
    expect(cutWaves(200, ['25%'])).toEqual([50, 50, 50, 50]);
    expect(cutWaves(7, [1, 2])).toEqual([1, 2, 2, 2]);
  });

  it('runs everything in one wave with the default ["100%"]', () => {
    expect(cutWaves(1234, ['100%'])).toEqual([1234]);
  });

  it('lets the final wave take only what is left', () => {
    expect(cutWaves(3, [5, '100%'])).toEqual([3]);
    expect(cutWaves(10, ['30%'])).toEqual([3, 3, 3, 1]);
  });

  it('always covers the fleet exactly, with non-empty waves', () => {
    const lists: CountOrPercent[][] = [[1], ['1%'], [1, '10%', '100%'], ['33%', 2], [3, '50%'], ['12.5%'], [100]];
    for (const waves of lists) {
      for (const total of [0, 1, 2, 3, 7, 10, 99, 200, 1001]) {
        const sizes = cutWaves(total, waves);
        expect(sizes.reduce((a, b) => a + b, 0)).toBe(total);
        expect(sizes.every((s) => s >= 1)).toBe(true);
      }
    }
  });
});

describe('topologicalOrder', () => {
  const step = (name: string, dependsOn: string[] = []) => ({ name, dependsOn });

  it('puts every step after its dependencies', () => {
    const order = topologicalOrder([step('start', ['patch']), step('patch', ['drain']), step('drain')]).map((s) => s.name);
    expect(order).toEqual(['drain', 'patch', 'start']);
  });

  it('keeps file order among steps that are ready together', () => {
    const order = topologicalOrder([step('drain'), step('patch', ['drain']), step('inventory', ['drain']), step('start', ['patch', 'inventory'])]);
    expect(order.map((s) => s.name)).toEqual(['drain', 'patch', 'inventory', 'start']);
  });

  it('throws with the cycle printed', () => {
    expect(() => topologicalOrder([step('a', ['b']), step('b', ['a'])])).toThrow('dependency cycle: a -> b -> a');
  });

  it('throws on an unknown dependency', () => {
    expect(() => topologicalOrder([step('a', ['x'])])).toThrow('unknown step "x"');
  });
});

describe('findCycles', () => {
  it('finds none in a DAG', () => {
    expect(findCycles([{ name: 'a', dependsOn: [] }, { name: 'b', dependsOn: ['a'] }])).toEqual([]);
  });

  it('starts each cycle at its first-listed step and gives the shortest way round', () => {
    const steps = [
      { name: 'x', dependsOn: [] },
      { name: 'a', dependsOn: ['b', 'c'] },
      { name: 'b', dependsOn: ['c'] },
      { name: 'c', dependsOn: ['a'] },
    ];
    expect(findCycles(steps)).toEqual([['a', 'c']]);
  });

  it('ignores self-dependencies, which validation reports on their own', () => {
    expect(findCycles([{ name: 'a', dependsOn: ['a'] }])).toEqual([]);
  });
});

describe('runCommandName', () => {
  const isValid = (name: string) => runCommandNameProblem(name) === undefined;

  it('is the same for the same rollout and step', () => {
    expect(runCommandName({ rolloutId: 'r1', stepName: 'patch' })).toBe(runCommandName({ rolloutId: 'r1', stepName: 'patch' }));
  });

  it('differs between rollouts', () => {
    expect(runCommandName({ rolloutId: 'r1', stepName: 'patch' })).not.toBe(runCommandName({ rolloutId: 'r2', stepName: 'patch' }));
  });

  it('differs between steps of one rollout', () => {
    expect(runCommandName({ rolloutId: 'r1', stepName: 'patch' })).not.toBe(runCommandName({ rolloutId: 'r1', stepName: 'drain' }));
  });

  it('keeps the step name readable in front of a 13-character hash', () => {
    expect(runCommandName({ rolloutId: 'r1', stepName: 'patch' })).toMatch(/^patch-[0-9a-z]{13}$/);
  });

  it('cannot be confused by moving characters between rollout id and step name', () => {
    expect(runCommandName({ rolloutId: 'ab', stepName: 'c' })).not.toBe(runCommandName({ rolloutId: 'a', stepName: 'bc' }));
  });

  it('fits Azure rules for an 80-character step name, at exactly 80 characters', () => {
    const name = runCommandName({ rolloutId: 'r1', stepName: 'x'.repeat(80) });
    expect(name).toHaveLength(80);
    expect(isValid(name)).toBe(true);
  });

  it('stays unique for long step names that share their readable part', () => {
    const prefix = 'p'.repeat(70);
    expect(runCommandName({ rolloutId: 'r', stepName: `${prefix}-one` })).not.toBe(runCommandName({ rolloutId: 'r', stepName: `${prefix}-two` }));
  });

  it.each([
    ['patch-openssl/2024-06-01T00:00:00Z', 'patch'],
    ['ünïcødé rollout 🚀', 'patch'],
    ['', 'patch'],
    ['r'.repeat(5000), 'patch'],
    ['r1', 'step with spaces'],
    ['r1', '...leading.dots'],
    ['r1', 'trailing-dots...'],
    ['r1', '🚀🚀'],
    ['r1', ''],
  ])('is a valid Azure name for rollout %j and step %j', (rolloutId, stepName) => {
    const name = runCommandName({ rolloutId, stepName });
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(isValid(name)).toBe(true);
  });

  it('does not collide over many rollouts and steps', () => {
    const names = new Set<string>();
    for (let r = 0; r < 300; r++) for (const s of ['drain', 'patch', 'start']) names.add(runCommandName({ rolloutId: `rollout-${r}`, stepName: s }));
    expect(names.size).toBe(900);
  });
});

describe('specHash', () => {
  const step = (overrides: Partial<Step> = {}): Step => ({
    name: 'patch',
    dependsOn: [],
    source: { script: 'echo hi' },
    parameters: [{ name: 'VERSION', value: '3.0.15' }],
    protectedParameters: [{ name: 'TOKEN', value: 'secret-1' }],
    asyncExecution: false,
    treatFailureAsDeploymentFailure: false,
    ...overrides,
  });

  it('is 16 hex digits and stable', () => {
    expect(specHash(step())).toMatch(/^[0-9a-f]{16}$/);
    expect(specHash(step())).toBe(specHash(step()));
  });

  it('does not depend on the order keys were written in', () => {
    const reverseKeys = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(reverseKeys)
        : value !== null && typeof value === 'object'
          ? Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reverseKeys(v)]))
          : value;
    const reordered = reverseKeys(step()) as Step;
    expect(Object.keys(reordered)[0]).toBe('treatFailureAsDeploymentFailure');
    expect(specHash(reordered)).toBe(specHash(step()));
  });

  it('changes when the script changes', () => {
    expect(specHash(step({ source: { script: 'echo bye' } }))).not.toBe(specHash(step()));
  });

  it('changes when a public parameter value changes', () => {
    expect(specHash(step({ parameters: [{ name: 'VERSION', value: '3.0.16' }] }))).not.toBe(specHash(step()));
  });

  it('changes when the timeout changes', () => {
    expect(specHash(step({ timeoutInSeconds: 60 }))).not.toBe(specHash(step()));
  });

  it('leaves protected parameter values out (tags are readable)', () => {
    expect(specHash(step({ protectedParameters: [{ name: 'TOKEN', value: 'secret-2' }] }))).toBe(specHash(step()));
  });

  it('changes when a protected parameter is added or renamed', () => {
    expect(specHash(step({ protectedParameters: [{ name: 'KEY', value: 'secret-1' }] }))).not.toBe(specHash(step()));
    expect(specHash(step({ protectedParameters: [] }))).not.toBe(specHash(step()));
  });

  it('leaves the runAsPassword value out but not its presence', () => {
    const withPassword = specHash(step({ runAsUser: 'u', runAsPassword: 'one' }));
    expect(specHash(step({ runAsUser: 'u', runAsPassword: 'two' }))).toBe(withPassword);
    expect(specHash(step({ runAsUser: 'u' }))).not.toBe(withPassword);
  });

  it('ignores the SAS of a scriptUri but not the blob it points at', () => {
    const uri = (blob: string, sig: string) => step({ source: { scriptUri: `https://a.blob.core.windows.net/s/${blob}?sv=2022&sig=${sig}` } });
    expect(specHash(uri('a.sh', 'x'))).toBe(specHash(uri('a.sh', 'y')));
    expect(specHash(uri('a.sh', 'x'))).not.toBe(specHash(uri('b.sh', 'x')));
  });

  it('ignores the name and dependsOn, which are not sent to Azure', () => {
    expect(specHash(step({ name: 'other', dependsOn: ['x'] }))).toBe(specHash(step()));
  });
});

describe('plan.ts', () => {
  it('imports no Node built-ins and nothing at runtime but ./hash (workflow code imports it)', () => {
    for (const file of ['plan.ts', 'hash.ts']) {
      const source = readFileSync(join(__dirname, '../../../src/runbook', file), 'utf8');
      const imports = [...source.matchAll(/^import (type )?.*from '([^']+)'/gm)].filter((m) => m[1] === undefined).map((m) => m[2]);
      expect(imports.filter((i) => i !== './hash')).toEqual([]);
    }
  });
});

describe('hash', () => {
  it('computes FNV-1a 64 as published', () => {
    expect(fnv1a64Hex('')).toBe('cbf29ce484222325');
    expect(fnv1a64Hex('a')).toBe('af63dc4c8601ec8c');
    expect(fnv1a64Hex('foobar')).toBe('85944171f73967e8');
  });

  it('hashes the UTF-8 of non-ASCII text', () => {
    expect(fnv1a64Hex('é')).not.toBe(fnv1a64Hex('e'));
    expect(fnv1a64Hex('🚀')).toMatch(/^[0-9a-f]{16}$/);
  });

  it('writes canonical JSON with sorted keys and without undefined members', () => {
    expect(canonicalJson({ b: 1, a: [{ d: undefined, c: 'x' }] })).toBe('{"a":[{"c":"x"}],"b":1}');
  });
});
