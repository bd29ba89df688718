import { checkApiVersion } from '../../../src/emulator/api-versions';
import { parameterEnvironment } from '../../../src/emulator/agent';
import { withoutSas } from '../../../src/emulator/blob-writer';
import { publicSpec, specHash } from '../../../src/emulator/run-commands';
import { operationTime, resourceTime } from '../../../src/emulator/time-format';
import type { RunCommandSpec } from '../../../src/emulator/types';

const spec: RunCommandSpec = {
  source: { script: 'echo hi' },
  parameters: [{ name: 'A', value: '1' }],
  protectedParameters: [{ name: 'S', value: 'secret' }],
  asyncExecution: false,
  runAsPassword: 'pw',
  timeoutInSeconds: 0,
  outputBlobUri: 'https://acct.blob/c/out?sv=1&sig=abc',
  treatFailureAsDeploymentFailure: false,
};

test('resource times have whole seconds and operation times seven fractional digits', () => {
  const ms = Date.UTC(2022, 4, 19, 3, 6, 26, 594);
  expect(resourceTime(ms)).toBe('2022-05-19T03:06:26+00:00');
  expect(operationTime(ms)).toMatch(/^2022-05-19T03:06:26\.594\d{4}\+00:00$/);
});

test('api-version is required and must be known', () => {
  expect(checkApiVersion(null, 'compute')?.code).toBe('MissingApiVersionParameter');
  expect(checkApiVersion('2099-01-01', 'compute')?.code).toBe('InvalidApiVersionParameter');
  expect(checkApiVersion('2026-03-01', 'compute')).toBeUndefined();
  expect(checkApiVersion('2019-03-01', 'compute')).toBeUndefined();
});

test('the spec hash ignores key order and changes with any property, secrets included', () => {
  const { source, ...rest } = spec;
  const reordered = JSON.parse(JSON.stringify({ ...rest, source })) as RunCommandSpec;
  expect(specHash(reordered)).toBe(specHash(spec));
  expect(specHash({ ...spec, protectedParameters: [{ name: 'S', value: 'other' }] })).not.toBe(specHash(spec));
});

test('the public spec drops protected parameters, the password and SAS queries', () => {
  const shown = publicSpec(spec);
  expect(shown.protectedParameters).toBeUndefined();
  expect(shown.runAsPassword).toBeUndefined();
  expect(shown.outputBlobUri).toBe('https://acct.blob/c/out');
  expect(withoutSas('https://a/b?sig=1')).toBe('https://a/b');
});

test('named parameters become environment variables, unnamed ones arguments, empty values skipped', () => {
  expect(
    parameterEnvironment([
      { name: 'A', value: '1' },
      { name: '', value: 'x' },
      { name: 'B', value: '' },
      { name: '', value: 'y' },
    ]),
  ).toEqual({ env: { A: '1' }, args: ['x', 'y'] });
});
