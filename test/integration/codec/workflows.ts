// Workflows for the codec history test: secrets travel as input, activity
// input and result, workflow result, and failure messages.
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type * as activities from './activities';

const { useSecret, rejectSecret } = proxyActivities<typeof activities>({ startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 1 } });

/** Passes the secret through an activity and returns it. */
export async function echoSecret(secret: string): Promise<string> {
  return useSecret(secret);
}

/** Uses the first secret, sees an activity fail with the second, then fails itself quoting the second. */
export async function failWithSecret(input: { secret: string; failureSecret: string }): Promise<void> {
  await useSecret(input.secret);
  try {
    await rejectSecret(input.failureSecret);
  } catch {
    // The workflow's own failure below is the one under test; the activity's stays in history too.
  }
  throw ApplicationFailure.nonRetryable(`login failed with ${input.failureSecret}`, 'LoginFailed');
}
