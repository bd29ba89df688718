import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/common';
import { rolloutHandle, steer } from '../../../src/client/rollouts';
import { SUBSCRIPTION } from '../../harness/fleet';
import { testStack } from '../../harness/stack';
import { runbookFromYaml } from '../../harness/runbooks';
import { fleetcmd, machines, runbookFile, runCommandNameOf, useFleet, vmNames, waitForStatus } from './helpers';

const RG = 'start-rg';
const names = vmNames('start', 5);
const fleet = useFleet(machines(RG, names));

const yaml = `
name: two-steps
location: westus
targets: { subscriptionId: ${SUBSCRIPTION}, resourceGroups: [${RG}] }
steps:
  - { name: drain, script: "true" }
  - { name: patch, dependsOn: [drain], script: "echo patched" }
rollout: { waves: [1, "50%"], maxConcurrency: "40%", maxErrors: "20%", approval: afterFirstWave }
`;

test('start prints the rollout id and its Temporal UI page; starting the same id again exits 2 naming the existing rollout', async () => {
  const file = runbookFile(yaml.replace('approval: afterFirstWave', 'approval: none'));
  const rolloutId = `cli-start-${randomUUID().slice(0, 8)}`;
  const { address, namespace } = testStack().temporal;

  const started = await fleetcmd(fleet(), ['start', file, '--id', rolloutId]);
  expect(started).toMatchObject({ code: 0, err: '' });
  expect(started.out).toContain(`rollout ${rolloutId} started (runbook two-steps, 2 step(s))`);
  expect(started.out).toContain(`http://${address.split(':')[0]}:8233/namespaces/${namespace}/workflows/${rolloutId}`);

  const again = await fleetcmd(fleet(), ['start', file, '--id', rolloutId]);
  expect(again.code).toBe(2);
  expect(again.err).toMatch(new RegExp(`--id ${rolloutId}: rollout ${rolloutId} already exists \\(status (Resolving|Running), runbook two-steps, started \\S+\\)`));
  expect(again.err).toContain('nothing was started');

  // The CLI starts with production poll intervals (5 s and up): stop it rather than wait.
  await waitForStatus(fleet(), rolloutId, 'Running');
  await steer(rolloutHandle(fleet().client, rolloutId), 'cancel', { by: 'test' });
  expect(await rolloutHandle(fleet().client, rolloutId).result()).toMatchObject({ status: 'Canceled', runbookName: 'two-steps' });
}, 90_000);

test('start refuses a malformed --id or --not-after (exit 2, naming the flag) before anything starts', async () => {
  const file = runbookFile(yaml.replace('name: two-steps', 'name: never-started'));
  const badId = await fleetcmd(fleet(), ['start', file, '--id', 'a/b']);
  expect(badId.code).toBe(2);
  expect(badId.err).toContain('--id "a/b": a rollout id is');
  const badTime = await fleetcmd(fleet(), ['start', file, '--not-after', 'tomorrow']);
  expect(badTime.code).toBe(2);
  expect(badTime.err).toContain('--not-after "tomorrow": expected an ISO 8601 time with a zone');
  const past = await fleetcmd(fleet(), ['start', file, '--not-after', '2001-01-01T00:00:00Z']);
  expect(past.code).toBe(2);
  expect(past.err).toContain('already past');
  expect((await fleet().client.workflow.count("FleetcmdRunbook = 'never-started'")).count).toBe(0);
});

test('plan lists the targets by wave, the resolved limits and the run-command names, and starts nothing', async () => {
  const file = runbookFile(yaml);
  const rolloutId = `cli-plan-${randomUUID().slice(0, 8)}`;
  const runsBefore = (await fleet().admin.runs()).length;

  const plan = await fleetcmd(fleet(), ['plan', file, '--id', rolloutId]);
  expect(plan).toMatchObject({ code: 0, err: '' });
  const runbook = runbookFromYaml(yaml);
  expect(plan.out).toContain(`targets: 5, resolved through ARM in subscription ${SUBSCRIPTION}`);
  // [1, "50%"] over 5 targets: 1, then 3 (50% rounded up), then the 1 left.
  expect(plan.out).toContain(
    ['waves: 3 (1, 3, 1)', '  wave 1: 1 target', `    ${RG}/start-00`, '  wave 2: 3 targets', `    ${RG}/start-01`, `    ${RG}/start-02`, `    ${RG}/start-03`, '  wave 3: 1 target', `    ${RG}/start-04`].join('\n'),
  );
  expect(plan.out).toContain('maxConcurrency: "40%" -> 2 target(s) at once');
  expect(plan.out).toContain('maxErrors: "20%" -> 1 failure(s) tolerated; failure 2 stops new starts');
  expect(plan.out).toContain('approval: afterFirstWave');
  expect(plan.out).toMatch(new RegExp(`\\n {2}drain {2}${runCommandNameOf(runbook, rolloutId, 'drain')}\\n`));
  expect(plan.out).toMatch(new RegExp(`\\n {2}patch {2}${runCommandNameOf(runbook, rolloutId, 'patch')} {2}after drain\\n`));
  expect(plan.out).toContain('nothing was started');

  await expect(rolloutHandle(fleet().client, rolloutId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  expect((await fleet().admin.runs()).length).toBe(runsBefore);
});
