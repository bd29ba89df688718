import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { OutputStore } from '../../../src/activities/outputs';
import { claimBlob, rolloutClaimActivities } from '../../../src/activities/rollout-claim';
import { testStack } from '../../harness/stack';

/**
 * The rollout id claim against real storage (Azurite): storage's conditional
 * create decides who holds an id, a retry by the holder is its own claim, and
 * anyone else is told who used the id and when.
 */
const outputs = new OutputStore({ armEndpoint: 'https://unused.invalid', storageConnectionString: testStack().azurite.connectionString });
const { claimRolloutId } = rolloutClaimActivities({ outputs });

test('a claim retried by the same execution succeeds and keeps the first claim; another execution is refused, non-retryable, naming who and when', async () => {
  const rolloutId = `claim-${randomUUID().slice(0, 8)}`;
  const holder = { rolloutId, workflowId: rolloutId, runId: randomUUID() };
  const first = await claimRolloutId(holder);
  const retried = await claimRolloutId(holder);
  expect(retried).toEqual(first);

  const other = claimRolloutId({ rolloutId, workflowId: rolloutId, runId: randomUUID() });
  await expect(other).rejects.toBeInstanceOf(ApplicationFailure);
  await expect(other).rejects.toMatchObject({
    type: 'RolloutIdUsed',
    nonRetryable: true,
    message: `rollout id ${rolloutId} was already used on ${first.claimedAt} by workflow ${rolloutId} (run ${holder.runId}); a rollout id runs once — choose a new id`,
  });
  expect(await outputs.readJson(undefined, claimBlob(rolloutId))).toEqual(first);
});

test('executions racing for one rollout id: exactly one holds it', async () => {
  const rolloutId = `claim-race-${randomUUID().slice(0, 8)}`;
  const contenders = Array.from({ length: 8 }, (_, i) => ({ rolloutId, workflowId: `${rolloutId}/target-${i}`, runId: randomUUID() }));
  const settled = await Promise.allSettled(contenders.map((c) => claimRolloutId(c)));
  const won = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  expect(won).toHaveLength(1);
  expect(settled.filter((s) => s.status === 'rejected').map((s) => (s as PromiseRejectedResult).reason.type)).toEqual(Array(7).fill('RolloutIdUsed'));
  expect(await outputs.readJson(undefined, claimBlob(rolloutId))).toEqual(won[0]);
});
