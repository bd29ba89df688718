import { ApplicationFailure, log } from '@temporalio/activity';
import type { VirtualMachine } from '@azure/arm-compute';
import type { TargetRef } from '../runbook/execution';
import { targetKey, targetName } from '../runbook/execution';
import type { TargetSelector } from '../runbook/rollout';
import type { Targets } from '../runbook/runbook';
import { armErrorInfo, armFailure, isRetryable } from './arm-errors';
import { heartbeating } from './heartbeat';
import type { ComputeClients } from './compute';
import type { OutputStore } from './outputs';
import { paced } from './run-command';

/**
 * Target resolution: the runbook's selection (resource groups, tags, VM
 * names or ids, scale-set instances) through the paged list APIs,
 * de-duplicated and sorted so a rollout's order is stable. The list is kept
 * in blob storage beside the outputs, and the rollout reads it a page at a
 * time: a fleet never lives in one workflow's history.
 */
export interface ResolveTargetsInput {
  rolloutId: string;
  selector: TargetSelector;
  outputContainer?: string;
}

export interface LoadTargetsInput {
  rolloutId: string;
  outputContainer?: string;
  offset: number;
  limit: number;
}

export function targetListBlob(rolloutId: string): string {
  return `${rolloutId}/targets.json`;
}

/** Machines do not move: a worker keeps the regions it looked up, up to this many. */
const LOCATIONS_KEPT = 50_000;

export function targetActivities(deps: { compute: ComputeClients; outputs: OutputStore; defaultSubscriptionId?: string }) {
  const { compute, outputs } = deps;

  async function loadAll(rolloutId: string, outputContainer: string | undefined): Promise<TargetRef[]> {
    return outputs.readJson<TargetRef[]>(outputContainer, targetListBlob(rolloutId));
  }

  const locations = new Map<string, string>();

  return {
    /**
     * The region of a machine that resolution did not list (a VM named
     * `rg/name`, `fleetcmd run --vm`): one GET of the VM or scale-set VM,
     * cached per worker. When Azure refuses the read (no such machine, no
     * right to read it) there is no region to report: the runbook's location
     * stands, and the run command's own PUT gets Azure's answer.
     */
    async targetLocation(input: { target: TargetRef }): Promise<{ location?: string }> {
      const { target } = input;
      const key = targetKey(target).toLowerCase();
      const known = locations.get(key);
      if (known) return { location: known };
      let location: string | undefined;
      try {
        await paced(compute, target, 'reads');
        const client = compute.client(target.subscriptionId);
        const machine =
          target.kind === 'vm'
            ? await client.virtualMachines.get(target.resourceGroup, target.vmName)
            : await client.virtualMachineScaleSetVMs.get(target.resourceGroup, target.scaleSetName, target.instanceId);
        location = machine.location;
      } catch (err) {
        if (err instanceof ApplicationFailure) throw err;
        const info = armErrorInfo(err);
        if (isRetryable(info)) throw armFailure(err);
        log.warn('could not read the machine for its location; the runbook location is used', { target: key, code: info.code, message: info.message });
        return {};
      }
      if (!location) return {};
      if (locations.size >= LOCATIONS_KEPT) locations.delete(locations.keys().next().value as string);
      locations.set(key, location);
      return { location };
    },

    async resolveTargets(input: ResolveTargetsInput): Promise<{ count: number; sample: string[] }> {
      return heartbeating(() => resolveAndStore(input));
    },

    async loadTargets(input: LoadTargetsInput): Promise<TargetRef[]> {
      const all = await heartbeating(() => loadAll(input.rolloutId, input.outputContainer));
      return all.slice(input.offset, input.offset + input.limit);
    },
  };

  async function resolveAndStore(input: ResolveTargetsInput): Promise<{ count: number; sample: string[] }> {
    let targets: TargetRef[];
    if (input.selector.kind === 'retry') {
      const all = await loadAll(input.selector.fromRolloutId, input.outputContainer);
      targets = input.selector.indices.map((i) => all[i]).filter((t): t is TargetRef => t !== undefined);
    } else {
      const subscriptionId = input.selector.targets.subscriptionId ?? input.selector.defaultSubscriptionId ?? deps.defaultSubscriptionId;
      if (!subscriptionId) {
        throw ApplicationFailure.nonRetryable('targets.subscriptionId: no subscription given (set it in the runbook or FLEETCMD_SUBSCRIPTION_ID)', 'InvalidTargets');
      }
      try {
        targets = await resolve(compute, subscriptionId, input.selector.targets);
      } catch (err) {
        if (err instanceof ApplicationFailure) throw err;
        throw armFailure(err);
      }
    }
    targets = dedupeAndSort(targets);
    if (targets.length === 0) {
      throw ApplicationFailure.nonRetryable(`the target selection matched no machines: ${describe(input.selector)}`, 'NoTargets');
    }
    await outputs.writeJson(input.outputContainer, targetListBlob(input.rolloutId), targets);
    return { count: targets.length, sample: targets.slice(0, 5).map(targetKey) };
  }
}

export async function resolve(compute: ComputeClients, subscriptionId: string, targets: Targets): Promise<TargetRef[]> {
  const client = compute.client(subscriptionId);
  const out: TargetRef[] = [];
  const explicit = targets.vms.length > 0 || targets.scaleSets.length > 0;
  const tagged = Object.keys(targets.tags).length > 0;

  const listVms = async (): Promise<VirtualMachine[]> => {
    const vms: VirtualMachine[] = [];
    if (targets.resourceGroups.length) {
      for (const rg of targets.resourceGroups) for await (const vm of client.virtualMachines.list(rg)) vms.push(vm);
    } else {
      for await (const vm of client.virtualMachines.listAll()) vms.push(vm);
    }
    return vms;
  };

  if (tagged || (!explicit && targets.resourceGroups.length)) {
    for (const vm of await listVms()) {
      if (Object.entries(targets.tags).every(([k, v]) => vm.tags?.[k] === v)) out.push(vmRef(subscriptionId, vm));
    }
  }

  if (targets.vms.length) {
    const byName = new Map<string, TargetRef[]>();
    const needLookup = targets.vms.some((v) => !v.includes('/'));
    if (needLookup) for (const vm of await listVms()) push(byName, (vm.name ?? '').toLowerCase(), vmRef(subscriptionId, vm));
    targets.vms.forEach((value, i) => out.push(vmFromSelector(value, i, subscriptionId, byName)));
  }

  for (const [i, ss] of targets.scaleSets.entries()) {
    const rg = ss.resourceGroup ?? targets.resourceGroups[0];
    if (!rg) throw ApplicationFailure.nonRetryable(`targets.scaleSets[${i}].resourceGroup: needed to find scale set ${ss.name}`, 'InvalidTargets');
    const wanted = ss.instanceIds ? new Set(ss.instanceIds) : undefined;
    const found = new Set<string>();
    for await (const vm of client.virtualMachineScaleSetVMs.list(rg, ss.name)) {
      const instanceId = vm.instanceId ?? '';
      if (wanted && !wanted.has(instanceId)) continue;
      found.add(instanceId);
      out.push({ kind: 'vmssVm', subscriptionId, resourceGroup: rg, scaleSetName: ss.name, instanceId, ...locationOf(vm) });
    }
    const missing = [...(wanted ?? [])].filter((id) => !found.has(id));
    if (missing.length) {
      throw ApplicationFailure.nonRetryable(`targets.scaleSets[${i}].instanceIds: ${ss.name} has no instance ${missing.join(', ')}`, 'InvalidTargets');
    }
  }
  return out;
}

function vmFromSelector(value: string, i: number, subscriptionId: string, byName: Map<string, TargetRef[]>): TargetRef {
  const id = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachines\/([^/]+)$/i.exec(value);
  if (id) return { kind: 'vm', subscriptionId: id[1], resourceGroup: id[2], vmName: id[3] };
  const parts = value.split('/');
  if (parts.length === 2) return { kind: 'vm', subscriptionId, resourceGroup: parts[0], vmName: parts[1] };
  const matches = byName.get(value.toLowerCase()) ?? [];
  if (matches.length === 1) return matches[0];
  throw ApplicationFailure.nonRetryable(
    matches.length === 0
      ? `targets.vms[${i}]: no VM named ${value}`
      : `targets.vms[${i}]: ${matches.length} VMs are named ${value} (${matches.map(targetName).join(', ')}); write resourceGroup/name`,
    'InvalidTargets',
  );
}

function vmRef(subscriptionId: string, vm: VirtualMachine): TargetRef {
  const rg = /\/resourceGroups\/([^/]+)\//i.exec(vm.id ?? '')?.[1] ?? '';
  return { kind: 'vm', subscriptionId, resourceGroup: rg, vmName: vm.name ?? '', ...locationOf(vm) };
}

/** A listed machine's region, as ARM reports it, so its run commands need no lookup. */
function locationOf(machine: { location?: string }): { location?: string } {
  return machine.location ? { location: machine.location } : {};
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Stable order (by key: subscription, then name), one entry per machine; Azure's names are case-insensitive. */
export function dedupeAndSort(targets: TargetRef[]): TargetRef[] {
  const seen = new Map<string, TargetRef>();
  for (const t of targets) {
    const id = targetKey(t).toLowerCase();
    if (!seen.has(id)) seen.set(id, t);
  }
  return [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, t]) => t);
}

function describe(selector: TargetSelector): string {
  if (selector.kind === 'retry') return `retry of ${selector.fromRolloutId} (${selector.indices.length} indices)`;
  const t = selector.targets;
  return JSON.stringify({ resourceGroups: t.resourceGroups, tags: t.tags, vms: t.vms, scaleSets: t.scaleSets.map((s) => s.name) });
}
