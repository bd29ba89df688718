/**
 * Maps an ARM path to what it names. ARM matches fixed segments
 * case-insensitively ("resourcegroups" and "resourceGroups" are the same);
 * names are matched case-insensitively later, by the fleet.
 */

export type VmTarget = { kind: 'vm'; vmName: string } | { kind: 'scaleSetVm'; scaleSet: string; instanceId: string };

export type ArmRoute =
  | { kind: 'resourceGroups'; subscriptionId: string }
  | { kind: 'resourceGroup'; subscriptionId: string; resourceGroup: string }
  | { kind: 'vmList'; subscriptionId: string; resourceGroup?: string }
  | { kind: 'vm'; subscriptionId: string; resourceGroup: string; vmName: string }
  | { kind: 'scaleSetList'; subscriptionId: string; resourceGroup?: string }
  | { kind: 'scaleSet'; subscriptionId: string; resourceGroup: string; scaleSet: string }
  | { kind: 'scaleSetVmList'; subscriptionId: string; resourceGroup: string; scaleSet: string }
  | { kind: 'scaleSetVm'; subscriptionId: string; resourceGroup: string; scaleSet: string; instanceId: string }
  | { kind: 'runCommandList'; subscriptionId: string; resourceGroup: string; target: VmTarget }
  | { kind: 'runCommand'; subscriptionId: string; resourceGroup: string; target: VmTarget; runCommandName: string }
  | { kind: 'actionRunCommand'; subscriptionId: string; resourceGroup: string; target: VmTarget }
  | { kind: 'commandDocuments'; subscriptionId: string; location: string }
  | { kind: 'commandDocument'; subscriptionId: string; location: string; commandId: string }
  | { kind: 'operation'; subscriptionId: string; location: string; operationId: string };

function eq(a: string | undefined, b: string): boolean {
  return a !== undefined && a.toLowerCase() === b;
}

/** Routes under a VM or scale-set VM: its run commands and the action. */
function vmChildren(s: string[], at: number, subscriptionId: string, resourceGroup: string, target: VmTarget): ArmRoute | undefined {
  const rest = s.length - at;
  if (rest === 1 && eq(s[at], 'runcommands')) return { kind: 'runCommandList', subscriptionId, resourceGroup, target };
  if (rest === 2 && eq(s[at], 'runcommands')) return { kind: 'runCommand', subscriptionId, resourceGroup, target, runCommandName: s[at + 1] };
  if (rest === 1 && eq(s[at], 'runcommand')) return { kind: 'actionRunCommand', subscriptionId, resourceGroup, target };
  return undefined;
}

export function routeArmPath(path: string): ArmRoute | undefined {
  let s: string[];
  try {
    s = path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return undefined;
  }
  if (!eq(s[0], 'subscriptions') || !s[1]) return undefined;
  const subscriptionId = s[1];
  if (eq(s[2], 'resourcegroups')) {
    if (s.length === 3) return { kind: 'resourceGroups', subscriptionId };
    const resourceGroup = s[3];
    if (s.length === 4) return { kind: 'resourceGroup', subscriptionId, resourceGroup };
    if (!eq(s[4], 'providers') || !eq(s[5], 'microsoft.compute')) return undefined;
    if (eq(s[6], 'virtualmachines')) {
      if (s.length === 7) return { kind: 'vmList', subscriptionId, resourceGroup };
      const vmName = s[7];
      if (s.length === 8) return { kind: 'vm', subscriptionId, resourceGroup, vmName };
      return vmChildren(s, 8, subscriptionId, resourceGroup, { kind: 'vm', vmName });
    }
    if (eq(s[6], 'virtualmachinescalesets')) {
      if (s.length === 7) return { kind: 'scaleSetList', subscriptionId, resourceGroup };
      const scaleSet = s[7];
      if (s.length === 8) return { kind: 'scaleSet', subscriptionId, resourceGroup, scaleSet };
      if (!eq(s[8], 'virtualmachines')) return undefined;
      if (s.length === 9) return { kind: 'scaleSetVmList', subscriptionId, resourceGroup, scaleSet };
      const instanceId = s[9];
      if (s.length === 10) return { kind: 'scaleSetVm', subscriptionId, resourceGroup, scaleSet, instanceId };
      return vmChildren(s, 10, subscriptionId, resourceGroup, { kind: 'scaleSetVm', scaleSet, instanceId });
    }
    return undefined;
  }
  if (!eq(s[2], 'providers') || !eq(s[3], 'microsoft.compute')) return undefined;
  if (s.length === 5 && eq(s[4], 'virtualmachines')) return { kind: 'vmList', subscriptionId };
  if (s.length === 5 && eq(s[4], 'virtualmachinescalesets')) return { kind: 'scaleSetList', subscriptionId };
  if (eq(s[4], 'locations') && s[5]) {
    const location = s[5];
    if (eq(s[6], 'runcommands')) {
      if (s.length === 7) return { kind: 'commandDocuments', subscriptionId, location };
      if (s.length === 8) return { kind: 'commandDocument', subscriptionId, location, commandId: s[7] };
    }
    if (eq(s[6], 'operations') && s.length === 8) return { kind: 'operation', subscriptionId, location, operationId: s[7] };
  }
  return undefined;
}
