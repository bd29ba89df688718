import { z } from 'zod';
import type { CountersSnapshot } from './counters';
import { describeIssues, fleetDefinitionSchema, generateFleet, generateFleetOptionsSchema, type GenerateFleetOptions } from './fleet';
import { requestFaultsSchema, vmFaultsSchema, type VmFaultsUpdate } from './faults';
import type { FleetDefinition, RequestFaults, RunRecord, ThrottlingSettings, VmFaults } from './types';

/**
 * The admin path (/admin/..., never under /subscriptions): what tests and the
 * demo use to shape the simulated estate and read what happened. Bad input
 * gets a 400 naming the field.
 */

export const ADMIN_PREFIX = '/admin';

export interface EmulatorStats {
  rssBytes: number;
  heapUsedBytes: number;
  virtualMachines: number;
  runCommands: number;
  runningScripts: number;
  uptimeSeconds: number;
}

export interface FaultsView {
  requests: RequestFaults;
  vms: Array<{ vm: string } & VmFaults>;
}

export type ResetScope = 'all' | 'counters';

/** What the admin path can do to an emulator. */
export interface EmulatorControl {
  fleetDefinition(): FleetDefinition;
  defineFleet(fleet: FleetDefinition): Promise<{ virtualMachines: number }>;
  faults(): FaultsView;
  setRequestFaults(faults: Partial<RequestFaults>): RequestFaults;
  setVmFaults(update: VmFaultsUpdate): Promise<{ vm: string } & VmFaults>;
  clearFaults(): Promise<void>;
  throttling(): ThrottlingSettings;
  setThrottling(settings: Partial<ThrottlingSettings>): ThrottlingSettings;
  counters(filter: { vm?: string; runCommand?: string }): CountersSnapshot;
  executionCount(vm: string, runCommand: string, kind: 'managed' | 'action'): number;
  runs(filter: { vm?: string; runCommand?: string }): RunRecord[];
  reset(scope: ResetScope): Promise<void>;
  stats(): EmulatorStats;
}

export interface AdminResponse {
  status: number;
  body?: unknown;
}

export class AdminInputError extends Error {}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new AdminInputError(describeIssues(parsed.error));
  return parsed.data;
}

const throttlingSchema = z
  .object({ enabled: z.boolean(), scale: z.number().positive().max(1_000_000), arm: z.boolean() })
  .partial()
  .strict();

const resetSchema = z.object({ scope: z.enum(['all', 'counters']).optional() }).strict();

const kindSchema = z.enum(['managed', 'action']);

function filterFrom(query: URLSearchParams): { vm?: string; runCommand?: string } {
  return { vm: query.get('vm') ?? undefined, runCommand: query.get('runCommand') ?? undefined };
}

export async function handleAdmin(control: EmulatorControl, method: string, path: string, query: URLSearchParams, body: unknown): Promise<AdminResponse> {
  const route = `${method} ${path.slice(ADMIN_PREFIX.length) || '/'}`;
  try {
    switch (route) {
      case 'GET /health':
        return { status: 200, body: { status: 'ok' } };
      case 'GET /stats':
        return { status: 200, body: control.stats() };
      case 'GET /fleet':
        return { status: 200, body: control.fleetDefinition() };
      case 'PUT /fleet':
        return { status: 200, body: await control.defineFleet(parse(fleetDefinitionSchema, body) as FleetDefinition) };
      case 'POST /fleet/generate': {
        const options: GenerateFleetOptions = parse(generateFleetOptionsSchema, body);
        return { status: 200, body: await control.defineFleet(generateFleet(options)) };
      }
      case 'GET /faults':
        return { status: 200, body: control.faults() };
      case 'PUT /faults/requests':
        return { status: 200, body: control.setRequestFaults(parse(requestFaultsSchema, body)) };
      case 'PUT /faults/vm':
        return { status: 200, body: await control.setVmFaults(parse(vmFaultsSchema, body)) };
      case 'DELETE /faults':
        await control.clearFaults();
        return { status: 200, body: control.faults() };
      case 'GET /throttling':
        return { status: 200, body: control.throttling() };
      case 'PUT /throttling':
        return { status: 200, body: control.setThrottling(parse(throttlingSchema, body)) };
      case 'GET /counters':
        return { status: 200, body: control.counters(filterFrom(query)) };
      case 'GET /executions': {
        const vm = query.get('vm');
        const runCommand = query.get('runCommand');
        if (!vm) throw new AdminInputError('vm: required query parameter (the VM resource id)');
        if (!runCommand) throw new AdminInputError('runCommand: required query parameter');
        const kind = parse(kindSchema, query.get('kind') ?? 'managed');
        return { status: 200, body: { vm, runCommand, kind, count: control.executionCount(vm, runCommand, kind) } };
      }
      case 'GET /runs':
        return { status: 200, body: { value: control.runs(filterFrom(query)) } };
      case 'POST /reset': {
        const { scope } = parse(resetSchema, body ?? {});
        await control.reset(scope ?? 'all');
        return { status: 200, body: { reset: scope ?? 'all' } };
      }
      default:
        return { status: 404, body: { error: { code: 'NotFound', message: `no admin route ${route}` } } };
    }
  } catch (error) {
    if (error instanceof AdminInputError) return { status: 400, body: { error: { code: 'InvalidAdminRequest', message: error.message } } };
    throw error;
  }
}
