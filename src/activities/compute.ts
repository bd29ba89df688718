import type { ComputeManagementClient, VirtualMachineRunCommand } from '@azure/arm-compute';
import type { PollerLike, OperationState } from '@azure/core-lro';
import type { AzureConfig } from '../azure/config';
import { createComputeClient } from '../azure/clients';
import { armAgent, armCredential } from '../azure/clients';
import { Context } from '@temporalio/activity';
import type { TargetRef } from '../runbook/execution';
import { Pacer, armClassOf, subscriptionOfUrl, vmKeyOfUrl } from './pacing';

/**
 * Run-command operations on one target, whichever kind it is: a VM's
 * `virtualMachineRunCommands` or a scale-set VM's
 * `virtualMachineScaleSetVMRunCommands` — same resource, other path.
 */
export interface TargetRunCommands {
  get(name: string, options?: CallOptions & { expand?: 'instanceView' }): Promise<VirtualMachineRunCommand>;
  list(options?: CallOptions & { expand?: 'instanceView' }): AsyncIterable<VirtualMachineRunCommand>;
  /** Sends the PUT and returns once ARM accepted it; never waits for the operation. */
  put(name: string, body: VirtualMachineRunCommand, options?: CallOptions): Promise<void>;
  /** Sends the DELETE and returns once ARM accepted it. */
  delete(name: string, options?: CallOptions): Promise<void>;
}

/** What every call may carry: the attempt lease's abort signal (see attempt-lease.ts). */
export interface CallOptions {
  abortSignal?: AbortSignal;
}

/** fleetcmd_arm_requests{method,status}: every ARM call an activity makes, 429s among them. */
function countArmRequest(method: string, status: number): void {
  // Outside an activity (the CLI's plan) there is no meter, and nothing to count.
  let meter;
  try {
    meter = Context.current().metricMeter;
  } catch {
    return;
  }
  meter.createCounter('fleetcmd_arm_requests', 'requests', 'ARM requests by method and status').add(1, { method, status: String(status) });
}

export class ComputeClients {
  private readonly clients = new Map<string, ComputeManagementClient>();
  private readonly credential;
  private readonly agent;

  constructor(
    private readonly config: AzureConfig,
    readonly pacer: Pacer = new Pacer(config.armRefillSpeedup ?? 1),
  ) {
    this.credential = armCredential(config);
    this.agent = armAgent(config);
  }

  client(subscriptionId: string): ComputeManagementClient {
    let client = this.clients.get(subscriptionId);
    if (!client) {
      const onResponse = (request: { url: string; method: string }, response: { status: number; headers: { get(name: string): string | undefined } }): void => {
        const subscription = subscriptionOfUrl(request.url);
        if (!subscription) return;
        this.pacer.observe({ subscriptionId: subscription, resourceKey: vmKeyOfUrl(request.url), armClass: armClassOf(request.method) }, response.headers);
        countArmRequest(request.method, response.status);
      };
      client = createComputeClient(this.config, subscriptionId, { credential: this.credential, agent: this.agent, onResponse });
      this.clients.set(subscriptionId, client);
    }
    return client;
  }

  forTarget(target: TargetRef): TargetRunCommands {
    const client = this.client(target.subscriptionId);
    if (target.kind === 'vm') {
      const ops = client.virtualMachineRunCommands;
      const { resourceGroup: rg, vmName: vm } = target;
      return {
        get: (name, o) => ops.getByVirtualMachine(rg, vm, name, o),
        list: (o) => ops.listByVirtualMachine(rg, vm, o),
        put: (name, body, o) => submitted(ops.createOrUpdate(rg, vm, name, body, o)),
        delete: (name, o) => submitted(ops.delete(rg, vm, name, o)),
      };
    }
    const ops = client.virtualMachineScaleSetVMRunCommands;
    const { resourceGroup: rg, scaleSetName: ss, instanceId: id } = target;
    return {
      get: (name, o) => ops.get(rg, ss, id, name, o),
      list: (o) => ops.list(rg, ss, id, o),
      put: (name, body, o) => submitted(ops.createOrUpdate(rg, ss, id, name, body, o)),
      delete: (name, o) => submitted(ops.delete(rg, ss, id, name, o)),
    };
  }
}

/**
 * The SDK's pollers send the initial request at once; awaiting `submitted()`
 * surfaces its error without polling. fleetcmd polls the resource itself,
 * from activity retries, so history does not grow with a script's duration.
 */
async function submitted<T>(poller: PollerLike<OperationState<T>, T>): Promise<void> {
  await poller.submitted();
}
