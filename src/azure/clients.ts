import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';
import { ComputeManagementClient } from '@azure/arm-compute';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { AzureConfig } from './config';

/** A credential that always presents the same token (the emulator's). */
export class StaticTokenCredential implements TokenCredential {
  constructor(private readonly token: string) {}
  async getToken(): Promise<AccessToken> {
    return { token: this.token, expiresOnTimestamp: Date.now() + 3600_000 };
  }
}

export function armCredential(config: Pick<AzureConfig, 'armToken'>): TokenCredential {
  return config.armToken ? new StaticTokenCredential(config.armToken) : new DefaultAzureCredential();
}

/** An https agent that trusts the configured CA besides the system's, keeping connections alive. */
export function armAgent(config: Pick<AzureConfig, 'armCaFile'>): Agent | undefined {
  if (!config.armCaFile) return undefined;
  const ca = readFileSync(config.armCaFile, 'utf8');
  return new Agent({ keepAlive: true, ca, maxSockets: 256 });
}

export interface ComputeClientOptions {
  credential?: TokenCredential;
  agent?: Agent;
  /** Sees every response (fleetcmd's pacing reads the throttling headers here). */
  onResponse?: (request: { url: string; method: string }, response: { status: number; headers: { get(name: string): string | undefined } }) => void;
}

/** The unchanged arm-compute client, pointed at the configured endpoint. */
export function createComputeClient(
  config: AzureConfig,
  subscriptionId: string,
  options: ComputeClientOptions = {},
): ComputeManagementClient {
  return new ComputeManagementClient(options.credential ?? armCredential(config), subscriptionId, {
    endpoint: config.armEndpoint,
    agent: options.agent ?? armAgent(config),
    credentials: { scopes: [`${new URL(config.armEndpoint).origin}/.default`] },
    // fleetcmd owns retries (activity retries honour Retry-After); the SDK's own would hide 429s from pacing.
    retryOptions: { maxRetries: 0 },
    ...(options.onResponse ? { additionalPolicies: [{ policy: observer(options.onResponse), position: 'perCall' as const }] } : {}),
  });
}

function observer(onResponse: NonNullable<ComputeClientOptions['onResponse']>): PipelinePolicy {
  return {
    name: 'fleetcmdResponseObserver',
    async sendRequest(request, next) {
      const response = await next(request);
      onResponse({ url: request.url, method: request.method }, { status: response.status, headers: response.headers });
      return response;
    },
  };
}
