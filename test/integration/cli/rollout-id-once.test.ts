import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { rolloutHandle } from '../../../src/client/rollouts';
import { targetWorkflowId, type TargetRef } from '../../../src/runbook/execution';
import { SUBSCRIPTION, waitFor, type Fleet } from '../../harness/fleet';
import { runbookFromYaml } from '../../harness/runbooks';
import { fleetcmd, machines, runbookFile, runCommandNameOf, startFast, useFleet, vmId, vmNames } from './helpers';

const RG = 'once-rg';
const names = vmNames('once', 2);
const fleet = useFleet(machines(RG, names));

const yaml = `
name: once
location: westus
targets: { subscriptionId: ${SUBSCRIPTION}, resourceGroups: [${RG}] }
steps:
  - { name: work, script: "echo ran" }
rollout: { waves: ["100%"], maxConcurrency: 2 }
`;
const runbook = runbookFromYaml(yaml);
const vm = (name: string): TargetRef => ({ kind: 'vm', subscriptionId: SUBSCRIPTION, resourceGroup: RG, vmName: name });

async function executions(rolloutId: string, vmName: string): Promise<number> {
  return fleet().admin.executionCount(vmId(RG, vmName), runCommandNameOf(runbook, rolloutId));
}

/** What Temporal's retention does to a closed workflow: it is deleted, and its id is free again. */
async function forget(f: Fleet, workflowId: string): Promise<void> {
  await f.client.workflowService.deleteWorkflowExecution({ namespace: f.client.options.namespace, workflowExecution: { workflowId } });
  await waitFor(
    async () =>
      f.client.workflow
        .getHandle(workflowId)
        .describe()
        .then(
          () => false,
          (err: unknown) => err instanceof WorkflowNotFoundError,
        ),
    { what: `workflow ${workflowId} to be deleted` },
  );
}

/** The sentence a refused claim ends with, whoever made it. */
function usedBefore(rolloutId: string, byWorkflow: string): RegExp {
  const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`rollout id ${escape(rolloutId)} was already used on \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z by workflow ${escape(byWorkflow)} \\(run [0-9a-f-]+\\); a rollout id runs once — choose a new id`);
}

test('run --id X a second time is refused before anything starts (exit 2): the script ran once', async () => {
  const file = runbookFile(yaml);
  const id = `once-run-${randomUUID().slice(0, 8)}`;
  const first = await fleetcmd(fleet(), ['run', file, '--vm', `${RG}/once-00`, '--id', id]);
  expect(first.code).toBe(0);
  // The first run's clean-up has deleted its run command: a second PUT of the same name would run the script again.
  expect(await fleet().admin.runs({ vm: vmId(RG, 'once-00'), runCommand: runCommandNameOf(runbook, id) })).toHaveLength(1);

  const again = await fleetcmd(fleet(), ['run', file, '--vm', `${RG}/once-00`, '--id', id]);
  expect(await executions(id, 'once-00')).toBe(1);
  expect(again.code).toBe(2);
  expect(again.err).toContain(`--id ${id}: rollout id ${id} was already used on ${RG}/once-00 by workflow ${targetWorkflowId(id, vm('once-00'))} (COMPLETED, started `);
  expect(again.err).toContain('a rollout id runs once — choose a new id, or leave --id out for a fresh one; nothing was started');
}, 90_000);

test('run --id X after Temporal forgot the first run (retention) is refused by the rollout id claim: the script ran once', async () => {
  const file = runbookFile(yaml);
  const id = `once-forgot-${randomUUID().slice(0, 8)}`;
  const first = await fleetcmd(fleet(), ['run', file, '--vm', `${RG}/once-00`, '--id', id]);
  expect(first.code).toBe(0);
  const firstWorkflow = targetWorkflowId(id, vm('once-00'));
  await forget(fleet(), firstWorkflow);

  const again = await fleetcmd(fleet(), ['run', file, '--vm', `${RG}/once-00`, '--id', id]);
  expect(await executions(id, 'once-00')).toBe(1);
  expect(again.code).toBe(1);
  expect(again.err).toMatch(usedBefore(id, firstWorkflow));

  // Another machine under the same id is refused the same way: the id is spent, not the (id, machine) pair.
  const elsewhere = await fleetcmd(fleet(), ['run', file, '--vm', `${RG}/once-01`, '--id', id]);
  expect(await executions(id, 'once-01')).toBe(0);
  expect(elsewhere.code).toBe(1);
  expect(elsewhere.err).toMatch(usedBefore(id, firstWorkflow));
}, 90_000);

test('a rollout started again under its id after Temporal forgot it (retention) fails on its claim and runs nothing', async () => {
  const id = `once-rollout-${randomUUID().slice(0, 8)}`;
  await startFast(fleet(), runbook, id);
  expect(await rolloutHandle(fleet().client, id).result()).toMatchObject({ status: 'Completed', counts: { Succeeded: 2 } });
  for (const name of names) expect(await executions(id, name)).toBe(1);
  for (const workflowId of [id, ...names.map((n) => targetWorkflowId(id, vm(n)))]) await forget(fleet(), workflowId);

  const file = runbookFile(yaml);
  const started = await fleetcmd(fleet(), ['start', file, '--id', id]);
  expect(started.code).toBe(0);
  const failure = await rolloutHandle(fleet().client, id).result().then(
    () => undefined,
    (err: unknown) => err,
  );
  for (const name of names) expect({ name, runs: await executions(id, name) }).toEqual({ name, runs: 1 });
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  expect((failure as WorkflowFailedError).cause?.message).toMatch(usedBefore(id, id));
  const status = await fleetcmd(fleet(), ['status', id]);
  expect(status.code).toBe(1);
  expect(status.out).toMatch(usedBefore(id, id));
}, 120_000);

test('a rollout id that `run` used cannot be rolled out: the rollout fails on its claim and runs nothing', async () => {
  const file = runbookFile(yaml);
  const id = `once-mixed-${randomUUID().slice(0, 8)}`;
  const first = await fleetcmd(fleet(), ['run', file, '--vm', `${RG}/once-00`, '--id', id]);
  expect(first.code).toBe(0);

  const started = await fleetcmd(fleet(), ['start', file, '--id', id]);
  expect(started.code).toBe(0);
  const failure = await rolloutHandle(fleet().client, id).result().then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(await executions(id, 'once-00')).toBe(1);
  expect(await executions(id, 'once-01')).toBe(0);
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  expect((failure as WorkflowFailedError).cause?.message).toMatch(usedBefore(id, targetWorkflowId(id, vm('once-00'))));
}, 90_000);
