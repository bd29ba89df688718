import { randomUUID } from 'node:crypto';
import { createComputeClient } from '../../../src/azure/clients';
import { rolloutHandle } from '../../../src/client/rollouts';
import { SUBSCRIPTION, waitFor } from '../../harness/fleet';
import { fleetcmd, machines, oneStepRunbook, progress, runCommandNameOf, sleep, startFast, useFleet, vmNames, waitForStatus } from './helpers';

// Approval, pause/resume and cancel, each driven through the CLI against the real stack.
const RG = 'steer-rg';
const names = vmNames('steer', 6);
// The cancel test lists every run command on its VMs: they are its own, untouched by the other tests.
const CANCEL_RG = 'cancel-rg';
const cancelNames = vmNames('cancel', 6);
const fleet = useFleet({ virtualMachines: [...machines(RG, names).virtualMachines, ...machines(CANCEL_RG, cancelNames).virtualMachines] });

const id = (what: string): string => `cli-${what}-${randomUUID().slice(0, 8)}`;

async function executions(runCommandName: string): Promise<number> {
  return (await fleet().admin.runs({ runCommand: runCommandName })).length;
}

test('approve --by alice lets a rollout waiting after its first wave finish, and the report records alice', async () => {
  const runbook = oneStepRunbook('approve-me', RG, 'sleep 1; echo patched', '{ waves: [1, "100%"], maxConcurrency: 6, approval: afterFirstWave }');
  const rolloutId = await startFast(fleet(), runbook, id('approve'));
  const runCommand = runCommandNameOf(runbook, rolloutId);

  await waitForStatus(fleet(), rolloutId, 'AwaitingApproval');
  await sleep(1_500); // nothing else starts while it waits
  expect(await executions(runCommand)).toBe(1);
  const status = await fleetcmd(fleet(), ['status', rolloutId]);
  expect(status.out).toMatch(/AwaitingApproval/);
  expect(status.out).toMatch(/ {4}2 +5 +0 +0 {2}awaiting approval/);

  const approve = await fleetcmd(fleet(), ['approve', rolloutId, '--by', 'alice', '--note', 'canary looks fine']);
  expect(approve).toMatchObject({ code: 0, err: '' });
  expect(approve.out).toContain(`rollout ${rolloutId} approved`);

  const watched = await fleetcmd(fleet(), ['status', rolloutId, '--watch']);
  expect(watched.code).toBe(0);
  expect(watched.out).toMatch(/approved after wave 1 by alice at \S+ \("canary looks fine"\)/);
  const report = await rolloutHandle(fleet().client, rolloutId).result();
  expect(report.status).toBe('Completed');
  expect(report.counts.Succeeded).toBe(6);
  expect(report.approvals).toEqual([expect.objectContaining({ wave: 0, by: 'alice', note: 'canary looks fine' })]);
  expect(await executions(runCommand)).toBe(6);
}, 90_000);

test("approve of a rollout not awaiting approval prints the rollout's reason and exits 2", async () => {
  const runbook = oneStepRunbook('not-waiting', RG, 'sleep 3', '{ waves: ["100%"], maxConcurrency: 2 }');
  const rolloutId = await startFast(fleet(), runbook, id('refused'));
  await waitForStatus(fleet(), rolloutId, 'Running');

  const approve = await fleetcmd(fleet(), ['approve', rolloutId, '--by', 'alice']);
  expect(approve.code).toBe(2);
  expect(approve.err).toContain(`approve: rollout ${rolloutId} is Running, not awaiting approval`);

  const cancel = await fleetcmd(fleet(), ['cancel', rolloutId, '--by', 'tidy-up']);
  expect(cancel.code).toBe(0);
  await rolloutHandle(fleet().client, rolloutId).result();
}, 60_000);

test('pause stops new starts (executions stay flat while paused) and resume lets the rollout finish', async () => {
  const runbook = oneStepRunbook('pause-me', RG, 'sleep 2; echo done', '{ waves: ["100%"], maxConcurrency: 2 }');
  const rolloutId = await startFast(fleet(), runbook, id('pause'));
  const runCommand = runCommandNameOf(runbook, rolloutId);
  await waitFor(async () => (await executions(runCommand)) >= 1, { what: 'the first script to start' });

  const pause = await fleetcmd(fleet(), ['pause', rolloutId, '--by', 'bob']);
  expect(pause.code).toBe(0);
  expect(pause.out).toContain('paused');
  // Targets in flight finish; then nothing new may start.
  await waitFor(async () => (await progress(fleet(), rolloutId)).counts.Running === 0, { what: 'in-flight targets to finish' });
  const whilePaused = await executions(runCommand);
  await sleep(4_000);
  expect(await executions(runCommand)).toBe(whilePaused);
  expect(whilePaused).toBeLessThan(names.length);
  expect((await progress(fleet(), rolloutId)).status).toBe('Paused');

  const resume = await fleetcmd(fleet(), ['resume', rolloutId, '--by', 'bob']);
  expect(resume.code).toBe(0);
  const report = await rolloutHandle(fleet().client, rolloutId).result();
  expect(report.status).toBe('Completed');
  expect(report.counts.Succeeded).toBe(names.length);
  expect(await executions(runCommand)).toBe(names.length);
}, 90_000);

test('cancel kills the scripts in flight, leaves no run command on any VM, and the rest end NotStarted', async () => {
  const runbook = oneStepRunbook('cancel-me', CANCEL_RG, 'sleep 120', '{ waves: ["100%"], maxConcurrency: 3 }');
  const rolloutId = await startFast(fleet(), runbook, id('cancel'));
  const runCommand = runCommandNameOf(runbook, rolloutId);
  const running = await waitFor(
    async () => {
      const runs = await fleet().admin.runs({ runCommand });
      return runs.length === 3 && runs.every((r) => r.pid && !r.endedAt) ? runs : undefined;
    },
    { what: 'three scripts to run' },
  );

  const cancel = await fleetcmd(fleet(), ['cancel', rolloutId, '--by', 'carol', '--reason', 'wrong window']);
  expect(cancel.code).toBe(0);
  const watched = await fleetcmd(fleet(), ['status', rolloutId, '--watch']);
  expect(watched.code).toBe(1); // targets were canceled and never started
  expect(watched.out).toContain('stopped: canceled by carol: wrong window');
  expect(watched.out).toMatch(/not started: 3 \(cancel-rg\/cancel-\d\d, /);

  const report = await rolloutHandle(fleet().client, rolloutId).result();
  expect(report.status).toBe('Canceled');
  expect(report.counts).toMatchObject({ Canceled: 3, NotStarted: 3, Succeeded: 0 });
  for (const run of running) expect(() => process.kill(run.pid as number, 0)).toThrow();
  const compute = createComputeClient(fleet().azure, SUBSCRIPTION);
  for (const vm of cancelNames) {
    const left: string[] = [];
    for await (const rc of compute.virtualMachineRunCommands.listByVirtualMachine(CANCEL_RG, vm)) left.push(rc.name ?? '');
    expect({ vm, left }).toEqual({ vm, left: [] });
  }
  expect(await fleet().admin.runs({ runCommand })).toHaveLength(3);
}, 90_000);
