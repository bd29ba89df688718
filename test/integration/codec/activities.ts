// Activities for the codec history test: they see secrets in clear, as real ones do.
import { ApplicationFailure } from '@temporalio/activity';

/** Uses a secret and hands it back, so it crosses history as an activity input and result. */
export async function useSecret(secret: string): Promise<string> {
  return secret;
}

/** Fails with the secret in its message, as an Azure error quoting a request body might. */
export async function rejectSecret(secret: string): Promise<never> {
  throw ApplicationFailure.nonRetryable(`activity rejected credential ${secret}`, 'CredentialRejected');
}
