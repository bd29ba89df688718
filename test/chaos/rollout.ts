import type { Client } from '@temporalio/client';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { rolloutInput, startRollout, type RolloutHandle } from '../../src/client/rollouts';
import { vmResourceId } from '../../src/emulator';
import type { FleetDefinition } from '../../src/emulator';
import type { Runbook } from '../../src/runbook/runbook';
import type { StepPlan, TargetRef } from '../../src/runbook/execution';
import { targetKey, targetWorkflowIdOfKey } from '../../src/runbook/execution';
import type { RolloutReport } from '../../src/runbook/rollout';
import { SUBSCRIPTION } from '../harness/fleet';
import { TEST_POLL, runbookFromYaml } from '../harness/runbooks';
import type { Expectation, TargetUnderTest } from './verify';

export type VmTarget = Extract<TargetRef, { kind: 'vm' }>;

/** A chaos fleet: n standalone VMs in one resource group, vm-000, vm-001, ... */
export function chaosFleet(resourceGroup: string, n: number): { definition: FleetDefinition; targets: VmTarget[] } {
  const width = Math.max(3, String(n - 1).length);
  const targets: VmTarget[] = Array.from({ length: n }, (_, i) => ({
    kind: 'vm',
    subscriptionId: SUBSCRIPTION,
    resourceGroup,
    vmName: `vm-${String(i).padStart(width, '0')}`,
  }));
  const definition: FleetDefinition = { virtualMachines: targets.map((t) => ({ subscriptionId: SUBSCRIPTION, resourceGroup, name: t.vmName })) };
  return { definition, targets };
}

export function vmIdOf(t: VmTarget): string {
  return vmResourceId(t.subscriptionId, t.resourceGroup, t.vmName);
}

export function underTest(targets: VmTarget[], expect: (t: VmTarget) => Expectation = () => ({ state: 'Succeeded' })): TargetUnderTest[] {
  return targets.map((ref) => ({ ref, vmId: vmIdOf(ref), expect: expect(ref) }));
}

/** A runbook over a whole resource group; `steps` and `rollout` are YAML flow mappings. */
export function chaosRunbook(name: string, resourceGroup: string, steps: string[], rollout: string): Runbook {
  return runbookFromYaml(`
name: ${name}
location: westus
targets: { subscriptionId: ${SUBSCRIPTION}, resourceGroups: [${resourceGroup}] }
steps:
${steps.map((s) => `  - ${s}`).join('\n')}
rollout: ${rollout}
`);
}

export interface StartedRollout {
  handle: RolloutHandle;
  rolloutId: string;
  /** The plan's steps, as the rollout derived them (run-command names included). */
  steps: StepPlan[];
  startedAt: number;
}

export async function startChaosRollout(
  client: Client,
  options: { runbook: Runbook; taskQueue: string; rolloutId: string; agentGraceSeconds?: number },
): Promise<StartedRollout> {
  const { runbook, taskQueue, rolloutId, agentGraceSeconds } = options;
  const steps = rolloutInput(runbook, { rolloutId, poll: TEST_POLL, agentGraceSeconds }).plan.steps;
  const startedAt = Date.now();
  const handle = await startRollout(client, { runbook, taskQueue, rolloutId, poll: TEST_POLL, agentGraceSeconds });
  return { handle, rolloutId, steps, startedAt };
}

export type RolloutEnd = { report: RolloutReport } | { failure: string } | { timedOut: true };

/**
 * How the rollout ended: its report, its failure, or not by the deadline.
 * Transient errors (the server being down in R2) are waited out: the
 * question is whether the rollout ends, not whether every call succeeds.
 */
export async function awaitRollout(handle: RolloutHandle, deadline: number, log: (line: string) => void): Promise<RolloutEnd> {
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      return { report: await withDeadline(handle.result(), deadline) };
    } catch (err) {
      if (err instanceof WorkflowFailedError) return { failure: err.cause?.message ?? err.message };
      if (err instanceof DeadlineReached) break;
      const message = err instanceof Error ? err.message : String(err);
      if (message !== lastError) log(`waiting for the report: ${message}`);
      lastError = message;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  return { timedOut: true };
}

/**
 * Waits until no target workflow of the rollout is still running, or the
 * deadline. A target reports to its rollout by signal and closes in its next
 * workflow task, so the rollout can end a moment before its last targets do
 * — longer if the worker that would run that task was just killed. Returns
 * the keys still running at the deadline.
 */
export async function awaitTargetsClosed(client: Client, rolloutId: string, targets: TargetRef[], deadline: number): Promise<string[]> {
  let open = targets.map(targetKey);
  for (;;) {
    const running = await Promise.all(
      open.map(async (key) => {
        try {
          return (await client.workflow.getHandle(targetWorkflowIdOfKey(rolloutId, key)).describe()).status.name === 'RUNNING' ? key : undefined;
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) return undefined;
          throw err;
        }
      }),
    );
    open = running.filter((key): key is string => key !== undefined);
    if (open.length === 0 || Date.now() >= deadline) return open;
    await new Promise((r) => setTimeout(r, 500));
  }
}

class DeadlineReached extends Error {}

function withDeadline<T>(work: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineReached('deadline')), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
