import { Client, Connection, type WorkflowExecutionInfo } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { dataConverterFor, loadKeyring } from '../../src/codec';
import { testStack } from '../harness/stack';
import { LAB_TASK_QUEUE_PREFIX, labBundlePath } from './rollout/logic/lab';

/**
 * Determinism guard: every target and rollout history the integration tests
 * produced (this file runs last) replays against today's workflow bundle
 * without a determinism error. The fast rollout tests ran the same rollout
 * beside a stub target (rollout/logic): their histories replay against
 * their own bundle.
 */
test('every target and rollout history produced by the integration tests replays without a determinism error', async () => {
  const stack = testStack();
  const connection = await Connection.connect({ address: stack.temporal.address });
  try {
    const client = new Client({ connection, namespace: stack.temporal.namespace });
    const query = `(WorkflowType = 'target' OR WorkflowType = 'rollout') AND ExecutionStatus != 'Running'`;
    const executions: WorkflowExecutionInfo[] = [];
    for await (const execution of client.workflow.list({ query })) executions.push(execution);
    async function* histories(of: WorkflowExecutionInfo[]) {
      for (const e of of) {
        yield { workflowId: e.workflowId, history: await client.workflow.getHandle(e.workflowId, e.runId).fetchHistory() };
      }
    }
    const inLab = (e: WorkflowExecutionInfo): boolean => e.taskQueue.startsWith(LAB_TASK_QUEUE_PREFIX);
    const bundles = [
      { codePath: stack.workflowBundlePath, executions: executions.filter((e) => !inLab(e)) },
      { codePath: labBundlePath(), executions: executions.filter(inLab) },
    ];
    let replayed = 0;
    const failures: string[] = [];
    // Some tests encrypt their payloads with the run's key; unencrypted payloads pass the codec untouched.
    const dataConverter = dataConverterFor(loadKeyring({ FLEETCMD_CODEC_KEYS: stack.codecKeys }));
    for (const { codePath, executions: these } of bundles) {
      if (these.length === 0) continue;
      for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath }, dataConverter }, histories(these))) {
        replayed += 1;
        if (result.error) failures.push(`${result.workflowId} ${result.runId}: ${result.error.message}`);
      }
    }
    process.stderr.write(`replayed ${replayed} histories (${executions.filter((e) => e.type === 'rollout').length} rollout runs)\n`);
    expect(failures).toEqual([]);
    expect(replayed).toBe(executions.length);
    expect(replayed).toBeGreaterThan(0);
  } finally {
    await connection.close();
  }
}, 600_000);
