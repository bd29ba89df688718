/**
 * The workflow bundle of the fast rollout tests: the real `rollout`
 * workflow, and a stub `target` in place of the real one, so a test decides
 * when and how each target ends (no ARM, no agents). The stub reads its
 * behaviour from the VM's name:
 *   ok-*    reports Succeeded at once
 *   fail-*  reports Failed at once
 *   hold-*  waits for the `finish` signal (or a cancel, then reports Canceled);
 *           a test may also terminate it, and then it never reports
 *   stubborn-*  waits for the `finish` signal, a cancel or not
 */
import { CancellationScope, condition, defineSignal, getExternalWorkflowHandle, isCancellation, setHandler } from '@temporalio/workflow';
import type { TargetState } from '../../../../src/runbook/execution';
import { targetKey } from '../../../../src/runbook/execution';
import type { TargetDone } from '../../../../src/runbook/rollout';
import { targetDoneSignal } from '../../../../src/workflows/signals';
import type { TargetInput } from '../../../../src/workflows/target';

export { rollout } from '../../../../src/workflows/rollout';

export interface Finish {
  state: TargetState;
  reason?: string;
}

export const finishSignal = defineSignal<[Finish]>('finish');

export async function target(input: TargetInput): Promise<TargetState> {
  const name = input.target.kind === 'vm' ? input.target.vmName : input.target.instanceId;
  let finish: Finish | undefined = name.startsWith('ok-') ? { state: 'Succeeded' } : name.startsWith('fail-') ? { state: 'Failed', reason: 'scripted failure' } : undefined;
  setHandler(finishSignal, (f) => {
    finish = f;
  });
  try {
    if (name.startsWith('stubborn-')) await CancellationScope.nonCancellable(() => condition(() => finish !== undefined));
    else await condition(() => finish !== undefined);
  } catch (err) {
    if (!isCancellation(err)) throw err;
    await CancellationScope.nonCancellable(() => report(input, { state: 'Canceled', reason: 'canceled' }));
    throw err;
  }
  const outcome = finish as Finish;
  await report(input, outcome);
  return outcome.state;
}

async function report(input: TargetInput, finish: Finish): Promise<void> {
  if (!input.report) return;
  const done: TargetDone = { index: input.report.index, key: targetKey(input.target), state: finish.state, ...(finish.reason ? { reason: finish.reason } : {}) };
  await getExternalWorkflowHandle(input.report.rolloutWorkflowId).signal(targetDoneSignal, done);
}
