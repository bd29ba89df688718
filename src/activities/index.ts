import { azureConfigFromEnv, type AzureConfig } from '../azure/config';
import { ComputeClients } from './compute';
import { OutputStore } from './outputs';
import { rolloutClaimActivities } from './rollout-claim';
import { runCommandActivities } from './run-command';
import { targetWorkflowActivities } from './target-workflows';
import { targetActivities } from './targets';

export * from './rollout-claim';
export * from './run-command';
export * from './targets';
export * from './target-workflows';

/**
 * Every activity fleetcmd registers, built from one configuration (the
 * Temporal samples' dependency-injection shape: a factory returning the
 * activity functions). Workflows see only `typeof` this, by `import type`.
 */
export function createActivities(config: AzureConfig = azureConfigFromEnv()) {
  const compute = new ComputeClients(config);
  const outputs = new OutputStore(config);
  return {
    ...runCommandActivities({ compute, outputs }),
    ...targetActivities({ compute, outputs, defaultSubscriptionId: process.env.FLEETCMD_SUBSCRIPTION_ID }),
    ...rolloutClaimActivities({ outputs }),
    ...targetWorkflowActivities(),
  };
}

export type Activities = ReturnType<typeof createActivities>;
