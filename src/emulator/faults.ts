import { z } from 'zod';
import type { RequestFaults, VmFaults } from './types';

/**
 * Faults set on the admin path. Request faults hit ARM paths only; VM faults
 * change what one VM's agent does. None of them survive a restart: a restarted
 * emulator starts healthy.
 */

export const NO_REQUEST_FAULTS: RequestFaults = { latencyMs: 0, serverErrorRate: 0, serverErrorStatus: 500, connectionResetRate: 0, phase: 'before', methods: [] };

export const requestFaultsSchema = z
  .object({
    latencyMs: z.number().min(0).max(600_000),
    serverErrorRate: z.number().min(0).max(1),
    serverErrorStatus: z.union([z.literal(500), z.literal(502), z.literal(503)]),
    connectionResetRate: z.number().min(0).max(1),
    phase: z.enum(['before', 'after']),
    methods: z.array(z.enum(['GET', 'PUT', 'PATCH', 'DELETE', 'POST'])),
  })
  .partial()
  .strict();

export const vmFaultsSchema = z
  .object({
    vm: z.string().min(1),
    hungAgent: z.boolean().optional(),
    deallocated: z.boolean().optional(),
    agentCrash: z.object({ afterMs: z.number().min(0) }).strict().nullable().optional(),
    agentPickupDelayMs: z.number().min(0).max(3_600_000).optional(),
  })
  .strict();

export type VmFaultsUpdate = z.infer<typeof vmFaultsSchema>;

const HEALTHY: VmFaults = { hungAgent: false, deallocated: false, agentCrash: null, agentPickupDelayMs: 0 };

export class FaultState {
  private requestFaults: RequestFaults = { ...NO_REQUEST_FAULTS };
  private readonly vmFaults = new Map<string, VmFaults>();

  get requests(): RequestFaults {
    return this.requestFaults;
  }

  setRequests(update: Partial<RequestFaults>): RequestFaults {
    this.requestFaults = { ...NO_REQUEST_FAULTS, ...update };
    return this.requestFaults;
  }

  /** Whether the request faults apply to this method. */
  appliesTo(method: string): boolean {
    const { methods } = this.requestFaults;
    return this.anyRequestFault && (methods.length === 0 || methods.includes(method));
  }

  /** Whether any request fault is active (the common case is none: skip the dice). */
  get anyRequestFault(): boolean {
    const f = this.requestFaults;
    return f.latencyMs > 0 || f.serverErrorRate > 0 || f.connectionResetRate > 0;
  }

  vm(vmKey: string): VmFaults {
    return this.vmFaults.get(vmKey) ?? HEALTHY;
  }

  /** Returns the VM's faults before and after the update. */
  setVm(vmKey: string, update: Partial<VmFaults>): { before: VmFaults; after: VmFaults } {
    const before = this.vm(vmKey);
    const after: VmFaults = { ...before, ...update };
    if (!after.hungAgent && !after.deallocated && !after.agentCrash && !after.agentPickupDelayMs) this.vmFaults.delete(vmKey);
    else this.vmFaults.set(vmKey, after);
    return { before, after };
  }

  /** A one-shot crash is used up once it fired. */
  consumeCrash(vmKey: string): void {
    const current = this.vmFaults.get(vmKey);
    if (current) this.setVm(vmKey, { agentCrash: null });
  }

  vmEntries(): Array<[string, VmFaults]> {
    return [...this.vmFaults.entries()];
  }

  clear(): string[] {
    const keys = [...this.vmFaults.keys()];
    this.requestFaults = { ...NO_REQUEST_FAULTS };
    this.vmFaults.clear();
    return keys;
  }
}
