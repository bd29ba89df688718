import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ScheduleNotFoundError } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { vmResourceId } from '../../../src/emulator';
import { targetWorkflowId, type TargetRef } from '../../../src/runbook/execution';
import { runCommandName } from '../../../src/runbook/plan';
import { SUBSCRIPTION } from '../../harness/fleet';
import { fleetcmd, machines, runbookFile, useFleet } from '../cli/helpers';

/**
 * Without payload encryption (no FLEETCMD_CODEC_KEYS or key file), a
 * runbook's secrets would sit in Temporal's history in clear: the CLI refuses
 * to start one unless told so explicitly, and then says what it exposes.
 * This file's worker and CLI run with no codec configured.
 */
const RG = 'plain-rg';
const fleet = useFleet(machines(RG, ['vm-1']));
const vm: TargetRef = { kind: 'vm', subscriptionId: SUBSCRIPTION, resourceGroup: RG, vmName: 'vm-1' };

const protectedValue = `pp-${randomBytes(12).toString('hex')}`;
const runAsPassword = `pw-${randomBytes(12).toString('hex')}`;

function secretRunbook(name: string): string {
  return runbookFile(`
name: ${name}
location: westus
targets: { subscriptionId: ${SUBSCRIPTION}, vms: [${RG}/vm-1] }
steps:
  - { name: plain, script: "echo plain" }
  - name: show
    dependsOn: [plain]
    script: 'echo "token sha256 $(printf %s "$TOKEN" | sha256sum | cut -c1-64)"'
    protectedParameters: [{ name: TOKEN, value: "${protectedValue}" }]
onFailure:
  - { name: undo, script: "echo undo", runAsUser: root, runAsPassword: "${runAsPassword}" }
`);
}

const FIELDS = ['steps[1].protectedParameters (TOKEN)', 'onFailure[0].runAsPassword'];

function expectNoSecret(text: string): void {
  for (const secret of [protectedValue, runAsPassword]) expect({ secret, shown: text.includes(secret) }).toEqual({ secret, shown: false });
}

test('the codec settings are not set in this file: the premise of every test here', () => {
  expect(fleet().workerEnv.FLEETCMD_CODEC_KEYS).toBeUndefined();
  expect(fleet().workerEnv.FLEETCMD_CODEC_KEY_FILE).toBeUndefined();
});

test('start refuses a runbook with secrets when payloads are not encrypted (exit 2, naming the fields); nothing starts', async () => {
  const name = `plain-start-${randomUUID().slice(0, 8)}`;
  const id = `${name}-1`;
  const start = await fleetcmd(fleet(), ['start', secretRunbook(name), '--id', id]);
  expect(start.code).toBe(2);
  for (const field of FIELDS) expect(start.err).toContain(field);
  expect(start.err).toContain('FLEETCMD_CODEC_KEYS');
  expect(start.err).toContain('--allow-plaintext-secrets');
  expect(start.err).toContain('nothing was started');
  expectNoSecret(start.out + start.err);
  await expect(fleet().client.workflow.getHandle(id).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
}, 60_000);

test('run refuses a runbook with secrets when payloads are not encrypted (exit 2, naming the fields); nothing starts', async () => {
  const id = `plain-run-${randomUUID().slice(0, 8)}`;
  const run = await fleetcmd(fleet(), ['run', secretRunbook('plain-run'), '--vm', `${RG}/vm-1`, '--id', id]);
  expect(run.code).toBe(2);
  for (const field of FIELDS) expect(run.err).toContain(field);
  expect(run.err).toContain('--allow-plaintext-secrets');
  expectNoSecret(run.out + run.err);
  await expect(fleet().client.workflow.getHandle(targetWorkflowId(id, vm)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  expect(await fleet().admin.executionCount(vmResourceId(SUBSCRIPTION, RG, 'vm-1'), runCommandName({ rolloutId: id, stepName: 'plain' }))).toBe(0);
}, 60_000);

test('schedule create refuses a runbook with secrets when payloads are not encrypted (exit 2, naming the fields); no schedule', async () => {
  const id = `plain-schedule-${randomUUID().slice(0, 8)}`;
  const created = await fleetcmd(fleet(), ['schedule', 'create', secretRunbook('plain-schedule'), '--id', id, '--every', '6h', '--paused']);
  expect(created.code).toBe(2);
  for (const field of FIELDS) expect(created.err).toContain(field);
  expectNoSecret(created.out + created.err);
  await expect(fleet().client.schedule.getHandle(id).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
}, 60_000);

test('with --allow-plaintext-secrets, run goes ahead and warns naming the fields, and prints no secret', async () => {
  const id = `plain-allowed-${randomUUID().slice(0, 8)}`;
  const run = await fleetcmd(fleet(), ['run', secretRunbook('plain-allowed'), '--vm', `${RG}/vm-1`, '--id', id, '--allow-plaintext-secrets']);
  expect(run.code).toBe(0);
  // The script saw the protected parameter: its hash is in the output, the value is not.
  expect(run.out).toContain(`token sha256 ${createHash('sha256').update(protectedValue).digest('hex')}`);
  expect(run.err).toMatch(/warning: .*stored in Temporal's history in clear text/);
  for (const field of FIELDS) expect(run.err).toContain(field);
  expectNoSecret(run.out + run.err);
}, 90_000);

test('a runbook without secrets starts without encryption and without a warning', async () => {
  const file = runbookFile(`
name: no-secrets
location: westus
targets: { subscriptionId: ${SUBSCRIPTION}, vms: [${RG}/vm-1] }
steps:
  - { name: plain, script: "echo plain" }
`);
  const run = await fleetcmd(fleet(), ['run', file, '--vm', `${RG}/vm-1`, '--id', `plain-none-${randomUUID().slice(0, 8)}`]);
  expect(run.code).toBe(0);
  expect(run.err).not.toContain('warning');
}, 90_000);

test('--allow-plaintext-secrets is documented in the help of start, run and schedule create', async () => {
  for (const verb of [['start'], ['run'], ['schedule', 'create']]) {
    const help = await fleetcmd(fleet(), [...verb, '--help']);
    expect({ verb, documented: help.out.includes('--allow-plaintext-secrets') }).toEqual({ verb, documented: true });
  }
});
