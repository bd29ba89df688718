import { CliError, type CliIo } from '../../../src/client/context';
import { guardPlaintextSecrets, secretFields } from '../../../src/client/plaintext-secrets';
import { generateKey } from '../../../src/codec';
import { parseRunbook } from '../../../src/runbook/load';
import type { Runbook } from '../../../src/runbook/runbook';

function runbook(yaml: string): Runbook {
  const parsed = parseRunbook(yaml, { format: 'yaml' });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.runbook;
}

const withSecrets = runbook(`
name: s
location: westus
targets: { vms: [rg/vm] }
steps:
  - { name: a, script: "true" }
  - { name: b, scriptUri: "https://acct.blob.core.windows.net/s/b.sh?sv=2022-11-02&sig=c2VjcmV0", protectedParameters: [{ name: TOKEN, value: hunter2 }, { name: KEY, value: k }] }
onFailure:
  - { name: undo, script: "true", runAsUser: admin, runAsPassword: pa55 }
`);

function io(env: NodeJS.ProcessEnv): CliIo & { errors: string[] } {
  const errors: string[] = [];
  return { out: () => undefined, err: (t) => void errors.push(t), isTTY: false, env, errors };
}

test('secretFields names every field that carries a secret, by path, never its value', () => {
  expect(secretFields(withSecrets)).toEqual(['steps[1].protectedParameters (TOKEN, KEY)', 'steps[1].scriptUri (its SAS signature)', 'onFailure[0].runAsPassword']);
});

test('without a codec a runbook with secrets is refused, naming the fields and the flag', () => {
  const target = io({});
  expect(() => guardPlaintextSecrets(target, withSecrets, false)).toThrow(CliError);
  try {
    guardPlaintextSecrets(target, withSecrets, false);
  } catch (err) {
    expect((err as CliError).exitCode).toBe(2);
    expect((err as CliError).message).toContain('steps[1].protectedParameters (TOKEN, KEY)');
    expect((err as CliError).message).toContain('--allow-plaintext-secrets');
    expect((err as CliError).message).not.toMatch(/hunter2|pa55|c2VjcmV0/);
  }
});

test('with the flag it warns instead, naming the fields and no value', () => {
  const target = io({});
  guardPlaintextSecrets(target, withSecrets, true);
  expect(target.errors.join('')).toMatch(/^fleetcmd: warning: steps\[1\]\.protectedParameters \(TOKEN, KEY\), .* would be stored in Temporal's history in clear text/);
  expect(target.errors.join('')).not.toMatch(/hunter2|pa55|c2VjcmV0/);
});

test('with a codec configured, or without secrets, it says nothing', () => {
  const key = generateKey({ id: 'k1' });
  const encrypted = io({ FLEETCMD_CODEC_KEYS: `${key.id}:${key.key}` });
  guardPlaintextSecrets(encrypted, withSecrets, false);
  const plain = io({});
  guardPlaintextSecrets(plain, runbook('name: p\nlocation: westus\ntargets: { vms: [rg/vm] }\nsteps:\n  - { name: a, script: "true" }\n'), false);
  expect([...encrypted.errors, ...plain.errors]).toEqual([]);
});

test('a malformed codec setting is bad input naming the setting', () => {
  expect(() => guardPlaintextSecrets(io({ FLEETCMD_CODEC_KEYS: 'nonsense' }), withSecrets, false)).toThrow(/FLEETCMD_CODEC_KEYS/);
});
