import { request } from 'node:https';
import type { EmulatorStats, FaultsView, ResetScope } from './admin';
import type { CountersSnapshot } from './counters';
import type { GenerateFleetOptions } from './fleet';
import type { FleetDefinition, RequestFaults, RunRecord, ThrottlingSettings, VmFaults } from './types';

/**
 * A typed client of the emulator's admin path, for tests, the demo and
 * benchmarks. VMs are named by their ARM resource id.
 */

export interface EmulatorAdminClientOptions {
  adminUrl: string;
  /** The emulator's CA (EmulatorHandle.caCertPem). */
  caCertPem: string;
  /** The contributor token (EmulatorHandle.token). */
  token: string;
}

export interface VmFaultsInput {
  /** The VM's resource id. */
  vm: string;
  hungAgent?: boolean;
  deallocated?: boolean;
  /** Kill the script afterMs into the current or next run on this VM (once); null disarms. */
  agentCrash?: { afterMs: number } | null;
  /** The agent picks up new run commands this much later than usual; 0 restores it. */
  agentPickupDelayMs?: number;
}

export class EmulatorAdminError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`emulator admin ${status} ${code}: ${message}`);
    this.name = 'EmulatorAdminError';
  }
}

export class EmulatorAdminClient {
  private readonly base: URL;

  constructor(private readonly options: EmulatorAdminClientOptions) {
    this.base = new URL(options.adminUrl.endsWith('/') ? options.adminUrl : `${options.adminUrl}/`);
  }

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(path, this.base);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ca: this.options.caCertPem,
          headers: {
            authorization: `Bearer ${this.options.token}`,
            ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = text;
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve(parsed as T);
            const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
            reject(new EmulatorAdminError(status, error?.code ?? 'Unknown', error?.message ?? text));
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  health(): Promise<{ status: string }> {
    return this.call('GET', 'health');
  }

  stats(): Promise<EmulatorStats> {
    return this.call('GET', 'stats');
  }

  getFleet(): Promise<FleetDefinition> {
    return this.call('GET', 'fleet');
  }

  /** Replaces the fleet; run commands of VMs that remain are kept. */
  defineFleet(fleet: FleetDefinition): Promise<{ virtualMachines: number }> {
    return this.call('PUT', 'fleet', fleet);
  }

  generateFleet(options: GenerateFleetOptions): Promise<{ virtualMachines: number }> {
    return this.call('POST', 'fleet/generate', options);
  }

  getFaults(): Promise<FaultsView> {
    return this.call('GET', 'faults');
  }

  /** Replaces the request faults (fields not given return to none). */
  setRequestFaults(faults: Partial<RequestFaults>): Promise<RequestFaults> {
    return this.call('PUT', 'faults/requests', faults);
  }

  setVmFaults(faults: VmFaultsInput): Promise<{ vm: string } & VmFaults> {
    return this.call('PUT', 'faults/vm', faults);
  }

  async clearFaults(): Promise<void> {
    await this.call('DELETE', 'faults');
  }

  getThrottling(): Promise<ThrottlingSettings> {
    return this.call('GET', 'throttling');
  }

  setThrottling(settings: Partial<ThrottlingSettings>): Promise<ThrottlingSettings> {
    return this.call('PUT', 'throttling', settings);
  }

  counters(filter: { vm?: string; runCommand?: string } = {}): Promise<CountersSnapshot> {
    return this.call('GET', `counters${query(filter)}`);
  }

  /** How many times the script of (vm, runCommand) really started. */
  async executionCount(vm: string, runCommand: string, kind: 'managed' | 'action' = 'managed'): Promise<number> {
    const result = await this.call<{ count: number }>('GET', `executions${query({ vm, runCommand, kind })}`);
    return result.count;
  }

  async runs(filter: { vm?: string; runCommand?: string } = {}): Promise<RunRecord[]> {
    const result = await this.call<{ value: RunRecord[] }>('GET', `runs${query(filter)}`);
    return result.value;
  }

  /** Peak number of scripts running at once, overall or on one VM. */
  async peakConcurrency(vm?: string): Promise<number> {
    const { concurrency } = await this.counters(vm ? { vm } : {});
    if (!vm) return concurrency.peak;
    return concurrency.perVm.find((p) => p.vm.toLowerCase() === vm.toLowerCase())?.peak ?? 0;
  }

  async requestCounts(): Promise<CountersSnapshot['requests']> {
    return (await this.counters({ vm: '-' })).requests;
  }

  /** 'all': run commands, operations, faults, throttle buckets and counters (the fleet stays); 'counters': counters only. */
  async reset(scope: ResetScope = 'all'): Promise<void> {
    await this.call('POST', 'reset', { scope });
  }
}

function query(params: Record<string, string | undefined>): string {
  const entries = Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined);
  return entries.length ? `?${new URLSearchParams(entries).toString()}` : '';
}
