import { supportsTreatFailure } from './api-versions';
import { withoutSas } from './blob-writer';
import type { SimulatedScaleSet, SimulatedVm } from './fleet';
import type { RunCommandRecord } from './run-commands';
import type { RunCommandInstanceView } from './types';

/**
 * ARM bodies in Azure's shapes and key order. Run command bodies never carry
 * protectedParameters, runAsPassword or a SAS query.
 */

export function runCommandType(vm: SimulatedVm): string {
  return vm.scaleSet ? 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommands' : 'Microsoft.Compute/virtualMachines/runCommands';
}

function instanceViewBody(view: RunCommandInstanceView): Record<string, unknown> {
  const body: Record<string, unknown> = {
    exitCode: view.exitCode,
    executionState: view.executionState,
    executionMessage: view.executionMessage,
    output: view.output,
    error: view.error,
  };
  if (view.startTime) body.startTime = view.startTime;
  if (view.endTime) body.endTime = view.endTime;
  return body;
}

export function runCommandBody(vm: SimulatedVm, record: RunCommandRecord, options: { expand: boolean; apiVersion: string }): Record<string, unknown> {
  const spec = record.spec;
  const source: Record<string, unknown> = {};
  if (spec.source.script !== undefined) source.script = spec.source.script;
  if (spec.source.scriptUri !== undefined) source.scriptUri = withoutSas(spec.source.scriptUri);
  if (spec.source.commandId !== undefined) source.commandId = spec.source.commandId;
  if (spec.source.scriptUriManagedIdentity !== undefined) source.scriptUriManagedIdentity = spec.source.scriptUriManagedIdentity;
  const properties: Record<string, unknown> = { source };
  if (spec.parameters?.length) properties.parameters = spec.parameters;
  if (spec.outputBlobUri) properties.outputBlobUri = withoutSas(spec.outputBlobUri);
  if (spec.errorBlobUri) properties.errorBlobUri = withoutSas(spec.errorBlobUri);
  if (spec.outputBlobManagedIdentity) properties.outputBlobManagedIdentity = spec.outputBlobManagedIdentity;
  if (spec.errorBlobManagedIdentity) properties.errorBlobManagedIdentity = spec.errorBlobManagedIdentity;
  if (spec.runAsUser !== undefined) properties.runAsUser = spec.runAsUser;
  properties.timeoutInSeconds = spec.timeoutInSeconds;
  properties.provisioningState = record.provisioningState;
  properties.asyncExecution = spec.asyncExecution;
  if (supportsTreatFailure(options.apiVersion)) properties.treatFailureAsDeploymentFailure = spec.treatFailureAsDeploymentFailure;
  if (options.expand) properties.instanceView = instanceViewBody(record.instanceView);
  const body: Record<string, unknown> = {
    name: record.name,
    id: `${vm.id}/runCommands/${record.name}`,
    type: runCommandType(vm),
    location: record.location,
  };
  if (record.tags) body.tags = record.tags;
  body.properties = properties;
  return body;
}

function powerStatuses(deallocated: boolean): Array<Record<string, string>> {
  return [
    { code: 'ProvisioningState/succeeded', level: 'Info', displayStatus: 'Provisioning succeeded' },
    deallocated
      ? { code: 'PowerState/deallocated', level: 'Info', displayStatus: 'VM deallocated' }
      : { code: 'PowerState/running', level: 'Info', displayStatus: 'VM running' },
  ];
}

function osDisk(vm: { name: string; osType: string }): Record<string, unknown> {
  return { osType: vm.osType, name: `${vm.name}_OsDisk_1`, createOption: 'FromImage', caching: 'ReadWrite', diskSizeGB: 30 };
}

export function virtualMachineBody(vm: SimulatedVm, options: { instanceView: boolean; deallocated: boolean }): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    vmId: vm.vmId,
    hardwareProfile: { vmSize: vm.vmSize },
    storageProfile: { osDisk: osDisk(vm) },
    osProfile: { computerName: vm.name, adminUsername: 'azureuser' },
    networkProfile: { networkInterfaces: [] },
    provisioningState: 'Succeeded',
  };
  if (options.instanceView) properties.instanceView = { computerName: vm.name, statuses: powerStatuses(options.deallocated) };
  if (vm.scaleSet) {
    return {
      name: vm.name,
      id: vm.id,
      type: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines',
      location: vm.location,
      tags: vm.tags,
      instanceId: vm.scaleSet.instanceId,
      sku: { name: vm.vmSize, tier: 'Standard' },
      properties: { latestModelApplied: true, ...properties },
    };
  }
  return { name: vm.name, id: vm.id, type: 'Microsoft.Compute/virtualMachines', location: vm.location, tags: vm.tags, properties };
}

export function scaleSetBody(ss: SimulatedScaleSet): Record<string, unknown> {
  return {
    name: ss.name,
    id: ss.id,
    type: 'Microsoft.Compute/virtualMachineScaleSets',
    location: ss.location,
    tags: ss.tags,
    sku: { name: ss.vmSize, tier: 'Standard', capacity: ss.instances.length },
    properties: {
      uniqueId: ss.uniqueId,
      orchestrationMode: 'Uniform',
      upgradePolicy: { mode: 'Manual' },
      provisioningState: 'Succeeded',
      virtualMachineProfile: {
        osProfile: { computerNamePrefix: ss.name, adminUsername: 'azureuser' },
        storageProfile: { osDisk: { osType: ss.osType, createOption: 'FromImage', caching: 'ReadWrite' } },
      },
    },
  };
}

export function resourceGroupBody(group: { subscriptionId: string; name: string; location: string }): Record<string, unknown> {
  return {
    id: `/subscriptions/${group.subscriptionId}/resourceGroups/${group.name}`,
    name: group.name,
    type: 'Microsoft.Resources/resourceGroups',
    location: group.location,
    properties: { provisioningState: 'Succeeded' },
  };
}
