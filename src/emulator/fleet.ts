import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { FleetDefinition, OsType, ScaleSetDefinition, VirtualMachineDefinition } from './types';

/**
 * The simulated estate: subscriptions, resource groups, VMs and scale-set
 * instances, indexed for ARM lookups (names are case-insensitive in ARM).
 * Pure data: run commands and agents live elsewhere, keyed by `vm.key`.
 */

export const DEFAULT_SUBSCRIPTION_ID = '00000000-0000-0000-0000-000000000000';
export const DEFAULT_LOCATION = 'westus';
const DEFAULT_VM_SIZE = 'Standard_B2s';

export interface SimulatedVm {
  /** Lower-cased lookup key, also the name of its sandbox folder. */
  key: string;
  /** ARM resource id, in the casing the fleet defined. */
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  /** VM name; for a scale-set instance, "<scaleSet>_<instanceId>" as Azure names them. */
  name: string;
  location: string;
  tags: Record<string, string>;
  osType: OsType;
  vmSize: string;
  vmId: string;
  scaleSet?: { name: string; instanceId: string };
}

export interface SimulatedScaleSet {
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  tags: Record<string, string>;
  osType: OsType;
  vmSize: string;
  uniqueId: string;
  instances: SimulatedVm[];
}

/** Azure writes locations as "westus"; requests may say "West US". */
export function normalizeLocation(location: string): string {
  return location.replace(/\s+/g, '').toLowerCase();
}

export function vmResourceId(subscriptionId: string, resourceGroup: string, vmName: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Compute/virtualMachines/${vmName}`;
}

export function scaleSetResourceId(subscriptionId: string, resourceGroup: string, scaleSet: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Compute/virtualMachineScaleSets/${scaleSet}`;
}

export function scaleSetVmResourceId(subscriptionId: string, resourceGroup: string, scaleSet: string, instanceId: string): string {
  return `${scaleSetResourceId(subscriptionId, resourceGroup, scaleSet)}/virtualMachines/${instanceId}`;
}

function stableGuid(seed: string): string {
  const h = createHash('sha1').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

// ---------------------------------------------------------------- validation

const name = z.string().min(1).max(80).regex(/^[A-Za-z0-9][A-Za-z0-9._()-]*$/, 'letters, digits, ".", "_", "-", "(", ")", starting with a letter or digit');
const tags = z.record(z.string(), z.string());
const osType = z.enum(['Linux', 'Windows']);

const vmSchema = z.object({
  subscriptionId: z.string().min(1).optional(),
  resourceGroup: name,
  name,
  location: z.string().min(1).optional(),
  tags: tags.optional(),
  osType: osType.optional(),
  vmSize: z.string().min(1).optional(),
});

const scaleSetSchema = z.object({
  subscriptionId: z.string().min(1).optional(),
  resourceGroup: name,
  name,
  location: z.string().min(1).optional(),
  tags: tags.optional(),
  osType: osType.optional(),
  vmSize: z.string().min(1).optional(),
  instances: z.union([z.number().int().min(0).max(1000), z.array(z.string().regex(/^[0-9]+$/, 'a number as a string')).max(1000)]),
});

export const fleetDefinitionSchema = z.object({
  virtualMachines: z.array(vmSchema),
  virtualMachineScaleSets: z.array(scaleSetSchema).optional(),
});

export const generateFleetOptionsSchema = z.object({
  vms: z.number().int().min(0).max(200_000),
  subscriptionId: z.string().min(1).optional(),
  resourceGroups: z.number().int().min(1).max(10_000).optional(),
  location: z.string().min(1).optional(),
  scaleSets: z.number().int().min(0).max(100).optional(),
  instancesPerScaleSet: z.number().int().min(0).max(1000).optional(),
  windowsEvery: z.number().int().min(0).optional(),
});

export type GenerateFleetOptions = z.infer<typeof generateFleetOptionsSchema>;

/** zod's issues as "path: message" lines, so a caller sees which field is wrong. */
export function describeIssues(error: z.ZodError, root = ''): string {
  return error.issues
    .map((issue) => {
      const path = [root, ...issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))].filter(Boolean).join('.').replace(/\.\[/g, '[');
      return `${path || '(body)'}: ${issue.message}`;
    })
    .join('; ');
}

// ---------------------------------------------------------------- generator

const ROLES = ['web', 'web', 'web', 'db', 'cache'] as const;

/**
 * A deterministic fleet: `vms` standalone VMs spread round-robin over resource
 * groups, tagged role (web/db/cache) and env (prod, every tenth staging), plus
 * `scaleSets` scale sets (default 2) of `instancesPerScaleSet` instances each.
 */
export function generateFleet(options: GenerateFleetOptions): FleetDefinition {
  const subscriptionId = options.subscriptionId ?? DEFAULT_SUBSCRIPTION_ID;
  const location = options.location ?? DEFAULT_LOCATION;
  const groupCount = options.resourceGroups ?? Math.max(1, Math.ceil(options.vms / 250));
  const width = Math.max(2, String(groupCount).length);
  const groups = Array.from({ length: groupCount }, (_, i) => `fleet-rg-${String(i + 1).padStart(width, '0')}`);
  const digits = Math.max(3, String(options.vms).length);
  const virtualMachines: VirtualMachineDefinition[] = [];
  for (let i = 0; i < options.vms; i++) {
    const role = ROLES[i % ROLES.length];
    const windows = options.windowsEvery !== undefined && options.windowsEvery > 0 && (i + 1) % options.windowsEvery === 0;
    virtualMachines.push({
      subscriptionId,
      resourceGroup: groups[i % groupCount],
      name: `${role}-${String(i + 1).padStart(digits, '0')}`,
      location,
      tags: { role, env: i % 10 === 9 ? 'staging' : 'prod' },
      osType: windows ? 'Windows' : 'Linux',
    });
  }
  const scaleSetCount = options.scaleSets ?? 2;
  const instances = options.instancesPerScaleSet ?? 3;
  const scaleSetRoles = ['web', 'cache', 'db'];
  const virtualMachineScaleSets: ScaleSetDefinition[] = [];
  for (let i = 0; i < scaleSetCount; i++) {
    const role = scaleSetRoles[i % scaleSetRoles.length];
    virtualMachineScaleSets.push({
      subscriptionId,
      resourceGroup: groups[i % groupCount],
      name: `${role}-vmss${i >= scaleSetRoles.length ? `-${i + 1}` : ''}`,
      location,
      tags: { role, env: 'prod' },
      osType: 'Linux',
      instances,
    });
  }
  return { virtualMachines, virtualMachineScaleSets };
}

// ---------------------------------------------------------------- index

const lower = (s: string): string => s.toLowerCase();

export class Fleet {
  private readonly vmsByKey = new Map<string, SimulatedVm>();
  private readonly vmsById = new Map<string, SimulatedVm>();
  private readonly scaleSetsByKey = new Map<string, SimulatedScaleSet>();
  private readonly vmsBySubscription = new Map<string, SimulatedVm[]>();
  private readonly vmsByGroup = new Map<string, SimulatedVm[]>();
  private readonly scaleSetsBySubscription = new Map<string, SimulatedScaleSet[]>();
  private readonly scaleSetsByGroup = new Map<string, SimulatedScaleSet[]>();
  private readonly groups = new Map<string, { subscriptionId: string; name: string; location: string }>();

  constructor(readonly definition: FleetDefinition) {
    for (const def of definition.virtualMachines) this.addVm(def);
    for (const def of definition.virtualMachineScaleSets ?? []) this.addScaleSet(def);
  }

  get size(): number {
    return this.vmsByKey.size;
  }

  private addGroup(subscriptionId: string, resourceGroup: string, location: string): void {
    const key = lower(`${subscriptionId}/${resourceGroup}`);
    if (!this.groups.has(key)) this.groups.set(key, { subscriptionId, name: resourceGroup, location });
  }

  private push<T>(map: Map<string, T[]>, key: string, value: T): void {
    const list = map.get(key);
    if (list) list.push(value);
    else map.set(key, [value]);
  }

  private register(vm: SimulatedVm): void {
    if (this.vmsByKey.has(vm.key)) throw new Error(`duplicate VM ${vm.id}`);
    this.vmsByKey.set(vm.key, vm);
    this.vmsById.set(lower(vm.id), vm);
  }

  private addVm(def: VirtualMachineDefinition): void {
    const subscriptionId = def.subscriptionId ?? DEFAULT_SUBSCRIPTION_ID;
    const location = normalizeLocation(def.location ?? DEFAULT_LOCATION);
    const id = vmResourceId(subscriptionId, def.resourceGroup, def.name);
    const vm: SimulatedVm = {
      key: lower(`${subscriptionId}/${def.resourceGroup}/${def.name}`),
      id,
      subscriptionId,
      resourceGroup: def.resourceGroup,
      name: def.name,
      location,
      tags: { ...(def.tags ?? {}) },
      osType: def.osType ?? 'Linux',
      vmSize: def.vmSize ?? DEFAULT_VM_SIZE,
      vmId: stableGuid(lower(id)),
    };
    this.register(vm);
    this.addGroup(subscriptionId, def.resourceGroup, location);
    this.push(this.vmsBySubscription, lower(subscriptionId), vm);
    this.push(this.vmsByGroup, lower(`${subscriptionId}/${def.resourceGroup}`), vm);
  }

  private addScaleSet(def: ScaleSetDefinition): void {
    const subscriptionId = def.subscriptionId ?? DEFAULT_SUBSCRIPTION_ID;
    const location = normalizeLocation(def.location ?? DEFAULT_LOCATION);
    const id = scaleSetResourceId(subscriptionId, def.resourceGroup, def.name);
    const ssKey = lower(`${subscriptionId}/${def.resourceGroup}/${def.name}`);
    if (this.scaleSetsByKey.has(ssKey)) throw new Error(`duplicate scale set ${id}`);
    const instanceIds = typeof def.instances === 'number' ? Array.from({ length: def.instances }, (_, i) => String(i)) : def.instances;
    const scaleSet: SimulatedScaleSet = {
      id,
      subscriptionId,
      resourceGroup: def.resourceGroup,
      name: def.name,
      location,
      tags: { ...(def.tags ?? {}) },
      osType: def.osType ?? 'Linux',
      vmSize: def.vmSize ?? DEFAULT_VM_SIZE,
      uniqueId: stableGuid(lower(id)),
      instances: [],
    };
    for (const instanceId of instanceIds) {
      const vmId = scaleSetVmResourceId(subscriptionId, def.resourceGroup, def.name, instanceId);
      const vm: SimulatedVm = {
        key: lower(`${subscriptionId}/${def.resourceGroup}/${def.name}/${instanceId}`),
        id: vmId,
        subscriptionId,
        resourceGroup: def.resourceGroup,
        name: `${def.name}_${instanceId}`,
        location,
        tags: { ...scaleSet.tags },
        osType: scaleSet.osType,
        vmSize: scaleSet.vmSize,
        vmId: stableGuid(lower(vmId)),
        scaleSet: { name: def.name, instanceId },
      };
      this.register(vm);
      scaleSet.instances.push(vm);
    }
    this.scaleSetsByKey.set(ssKey, scaleSet);
    this.addGroup(subscriptionId, def.resourceGroup, location);
    this.push(this.scaleSetsBySubscription, lower(subscriptionId), scaleSet);
    this.push(this.scaleSetsByGroup, lower(`${subscriptionId}/${def.resourceGroup}`), scaleSet);
  }

  hasSubscription(subscriptionId: string): boolean {
    const key = lower(subscriptionId);
    return this.vmsBySubscription.has(key) || this.scaleSetsBySubscription.has(key);
  }

  resourceGroup(subscriptionId: string, resourceGroup: string): { subscriptionId: string; name: string; location: string } | undefined {
    return this.groups.get(lower(`${subscriptionId}/${resourceGroup}`));
  }

  resourceGroups(subscriptionId: string): Array<{ subscriptionId: string; name: string; location: string }> {
    return [...this.groups.values()].filter((g) => lower(g.subscriptionId) === lower(subscriptionId));
  }

  vm(subscriptionId: string, resourceGroup: string, vmName: string): SimulatedVm | undefined {
    const vm = this.vmsByKey.get(lower(`${subscriptionId}/${resourceGroup}/${vmName}`));
    return vm && !vm.scaleSet ? vm : undefined;
  }

  scaleSet(subscriptionId: string, resourceGroup: string, scaleSet: string): SimulatedScaleSet | undefined {
    return this.scaleSetsByKey.get(lower(`${subscriptionId}/${resourceGroup}/${scaleSet}`));
  }

  scaleSetVm(subscriptionId: string, resourceGroup: string, scaleSet: string, instanceId: string): SimulatedVm | undefined {
    return this.vmsByKey.get(lower(`${subscriptionId}/${resourceGroup}/${scaleSet}/${instanceId}`));
  }

  byKey(key: string): SimulatedVm | undefined {
    return this.vmsByKey.get(key);
  }

  /** By ARM resource id (any casing). */
  byId(id: string): SimulatedVm | undefined {
    return this.vmsById.get(lower(id));
  }

  vmsInSubscription(subscriptionId: string): readonly SimulatedVm[] {
    return this.vmsBySubscription.get(lower(subscriptionId)) ?? [];
  }

  vmsInResourceGroup(subscriptionId: string, resourceGroup: string): readonly SimulatedVm[] {
    return this.vmsByGroup.get(lower(`${subscriptionId}/${resourceGroup}`)) ?? [];
  }

  scaleSetsInSubscription(subscriptionId: string): readonly SimulatedScaleSet[] {
    return this.scaleSetsBySubscription.get(lower(subscriptionId)) ?? [];
  }

  scaleSetsInResourceGroup(subscriptionId: string, resourceGroup: string): readonly SimulatedScaleSet[] {
    return this.scaleSetsByGroup.get(lower(`${subscriptionId}/${resourceGroup}`)) ?? [];
  }

  allVms(): IterableIterator<SimulatedVm> {
    return this.vmsByKey.values();
  }
}
