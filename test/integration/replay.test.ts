import { Client, Connection, type WorkflowExecutionInfo } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { dataConverterFor, loadKeyring } from '../../src/codec';
import { testStack } from '../harness/stack';

/**
 * Determinism guard: every target and rollout history the integration tests
 * produced (this file runs last) replays against today's workflow bundle
 * without a determinism error.
 */
test('every target and rollout history produced by the integration tests replays without a determinism error', async () => {
  const stack = testStack();
  const connection = await Connection.connect({ address: stack.temporal.address });
  try {
    const client = new Client({ connection, namespace: stack.temporal.namespace });
    const query = `(WorkflowType = 'target' OR WorkflowType = 'rollout') AND ExecutionStatus != 'Running'`;
    const executions: WorkflowExecutionInfo[] = [];
    for await (const execution of client.workflow.list({ query })) executions.push(execution);
    async function* histories() {
      for (const e of executions) {
        yield { workflowId: e.workflowId, history: await client.workflow.getHandle(e.workflowId, e.runId).fetchHistory() };
      }
    }
    let replayed = 0;
    const failures: string[] = [];
    // Some tests encrypt their payloads with the run's key; unencrypted payloads pass the codec untouched.
    const dataConverter = dataConverterFor(loadKeyring({ FLEETCMD_CODEC_KEYS: stack.codecKeys }));
    for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: stack.workflowBundlePath }, dataConverter }, histories())) {
      replayed += 1;
      if (result.error) failures.push(`${result.workflowId} ${result.runId}: ${result.error.message}`);
    }
    process.stderr.write(`replayed ${replayed} histories (${executions.filter((e) => e.type === 'rollout').length} rollout runs)\n`);
    expect(failures).toEqual([]);
    expect(replayed).toBe(executions.length);
    expect(replayed).toBeGreaterThan(0);
  } finally {
    await connection.close();
  }
}, 600_000);
