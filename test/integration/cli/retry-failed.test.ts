import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rolloutHandle } from '../../../src/client/rollouts';
import { testStack } from '../../harness/stack';
import { fleetcmd, machines, oneStepRunbook, runCommandNameOf, startFast, useFleet, vmId, vmNames, waitForStatus } from './helpers';

const RG = 'retry-rg';
const names = vmNames('retry', 8);
const FLAKY = ['retry-01', 'retry-04', 'retry-06'];
const fleet = useFleet(machines(RG, names));

/**
 * Scripts run on this machine, as the VM's agent would run them on the VM;
 * the agent tells a script which VM it is on (FLEETCMD_EMULATOR_VM, the VM's
 * resource id). A script that fails while a marker file named after its VM
 * exists lets the test decide which targets fail, and then fix them.
 */
function markerScript(dir: string): string {
  return `if [ -e "${dir}/$(basename "$FLEETCMD_EMULATOR_VM")" ]; then echo "package locked" >&2; exit 2; fi; echo patched`;
}

test('retry-failed reruns exactly the failed targets, under new run-command names', async () => {
  const markers = mkdtempSync(join(testStack().tmpDir, 'markers-'));
  mkdirSync(markers, { recursive: true });
  for (const vm of FLAKY) writeFileSync(join(markers, vm), '');
  const runbook = oneStepRunbook('flaky-patch', RG, markerScript(markers), '{ waves: ["100%"], maxConcurrency: 4, maxErrors: 5 }');
  const firstId = await startFast(fleet(), runbook, `cli-flaky-${randomUUID().slice(0, 8)}`);
  const first = await rolloutHandle(fleet().client, firstId).result();
  expect(first.counts).toMatchObject({ Succeeded: 5, Failed: 3, NotStarted: 0 });
  const shown = await fleetcmd(fleet(), ['status', firstId]);
  expect(shown.code).toBe(1);
  const group = / 3 targets: work exit 2, 'package locked' {2}\((.*)\)/.exec(shown.out);
  expect(group?.[1].split(', ').sort()).toEqual(FLAKY.map((vm) => `${RG}/${vm}`));

  for (const vm of FLAKY) rmSync(join(markers, vm));
  const retryId = `${firstId}-retry`;
  const retry = await fleetcmd(fleet(), ['retry-failed', firstId, '--id', retryId]);
  expect(retry).toMatchObject({ code: 0, err: '' });
  expect(retry.out).toContain(`rollout ${retryId} started (retry of ${firstId}: 3 target(s) — 3 failed, 0 canceled, 0 not started)`);

  const second = await rolloutHandle(fleet().client, retryId).result();
  expect(second).toMatchObject({ status: 'Completed', total: 3, counts: { Succeeded: 3, Failed: 0 } });
  const oldName = runCommandNameOf(runbook, firstId);
  const newName = runCommandNameOf(runbook, retryId);
  expect(newName).not.toBe(oldName);
  const reran = (await fleet().admin.runs({ runCommand: newName })).map((r) => r.vm.toLowerCase()).sort();
  expect(reran).toEqual(FLAKY.map((vm) => vmId(RG, vm).toLowerCase()).sort());
  for (const vm of names) expect({ vm, runs: await fleet().admin.executionCount(vmId(RG, vm), oldName) }).toEqual({ vm, runs: 1 });
}, 90_000);

test('retry-failed of a rollout still running exits 2 and starts nothing', async () => {
  const runbook = oneStepRunbook('still-running', RG, 'sleep 3', '{ waves: ["100%"], maxConcurrency: 8 }');
  const rolloutId = await startFast(fleet(), runbook, `cli-running-${randomUUID().slice(0, 8)}`);
  await waitForStatus(fleet(), rolloutId, 'Running');

  const retry = await fleetcmd(fleet(), ['retry-failed', rolloutId, '--id', `${rolloutId}-retry`]);
  expect(retry.code).toBe(2);
  expect(retry.err).toContain(`rollout ${rolloutId} is still running (Running)`);
  await expect(rolloutHandle(fleet().client, `${rolloutId}-retry`).describe()).rejects.toThrow(/not found/i);
  await rolloutHandle(fleet().client, rolloutId).result();
}, 60_000);
